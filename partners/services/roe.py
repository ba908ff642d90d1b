"""Rules of engagement: drafts, publishing a new version, partner admins' acceptances.

A draft carries a provisional version number (the model requires one); publishing gives it the
next number after the newest published version, so published versions count 1, 2, 3... without
gaps, and the newest published version is the current one.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import get_request_meta, require_current_tenant
from tenancy.emails import email_enqueue, mail_kind, person_address
from tenancy.hosts import tenant_base_url
from tenancy.models import Membership
from tenancy.roles import Role
from tenancy.tasks import enqueue

from ..models import RoeAcceptance, RulesOfEngagement
from ..selectors.roe import current_rules

ROE_ACCEPTANCE_REQUEST = mail_kind(
    "partners.roe_acceptance_request", gettext_lazy("Rules of engagement: please accept")
)


def _next_free_version() -> int:
    return (RulesOfEngagement.objects.aggregate(top=Max("version"))["top"] or 0) + 1


@transaction.atomic
def roe_draft_create(
    *, actor: Actor, title: str, body: str, change_summary: str = ""
) -> RulesOfEngagement:
    access.require(actor, Perm.PROGRAM_MANAGE)
    rules = RulesOfEngagement(
        tenant=require_current_tenant(),
        version=_next_free_version(),
        title=title.strip(),
        body=body,
        change_summary=change_summary.strip(),
    )
    rules.full_clean()
    rules.save()
    audit_record(actor=actor, action="roe.draft_created", target=rules, changes={"title": title})
    return rules


@transaction.atomic
def roe_draft_update(
    *, actor: Actor, rules: RulesOfEngagement, title: str, body: str, change_summary: str = ""
) -> RulesOfEngagement:
    access.require(actor, Perm.PROGRAM_MANAGE)
    rules = RulesOfEngagement.objects.select_for_update().get(pk=rules.pk)
    if rules.published_at is not None:
        raise ValidationError(_("A published version cannot be changed; create a new draft."))
    rules.title = title.strip()
    rules.body = body
    rules.change_summary = change_summary.strip()
    rules.full_clean()
    rules.save(update_fields=["title", "body", "change_summary"])
    audit_record(actor=actor, action="roe.draft_updated", target=rules, changes={"title": title})
    return rules


@transaction.atomic
def roe_publish(
    *, actor: Actor, rules: RulesOfEngagement, notify: bool = True
) -> RulesOfEngagement:
    """Make a draft the current version and ask every active partner admin to accept it."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    # Lock the tenant's versions: two publishers must not hand out the same number.
    all_versions = list(RulesOfEngagement.objects.select_for_update().order_by("pk"))
    rules = next((r for r in all_versions if r.pk == rules.pk), None)
    if rules is None:
        raise ValidationError(_("This version no longer exists."))
    if rules.published_at is not None:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": rules.version}
        )
    published = [r.version for r in all_versions if r.published_at is not None]
    number = max(published, default=0) + 1
    holder = next((r for r in all_versions if r.version == number and r.pk != rules.pk), None)
    if holder is not None:
        # Another draft holds the number provisionally: move it out of the way.
        holder.version = max(r.version for r in all_versions) + 1
        holder.save(update_fields=["version"])
    old_number = rules.version
    rules.version = number
    rules.published_at = timezone.now()
    rules.published_by = actor.user
    rules.save(update_fields=["version", "published_at", "published_by"])
    audit_record(
        actor=actor,
        action="roe.published",
        target=rules,
        changes={"version": [old_number, number], "title": rules.title},
    )
    if notify:
        from ..tasks.roe import request_roe_acceptances

        enqueue(request_roe_acceptances, tenant=rules.tenant, rules_id=rules.pk)
    return rules


@transaction.atomic
def roe_accept(
    *, actor: Actor, rules: RulesOfEngagement, ip_address: str | None = None
) -> tuple[RoeAcceptance, bool]:
    """Record that this partner admin accepts `rules` for their organisation.

    Returns (acceptance, created): accepting the same version again is a no-op.
    """
    access.require(actor, Perm.ROE_ACCEPT)
    if actor.user is None or actor.partner_organization_id is None:
        raise PermissionDenied(_("Only a signed-in partner admin can accept the rules."))
    existing = RoeAcceptance.objects.filter(rules=rules, user=actor.user).first()
    if existing is not None:
        return existing, False
    current = current_rules()
    if rules.published_at is None or current is None or current.pk != rules.pk:
        raise ValidationError(_("Only the current version of the rules can be accepted."))
    if ip_address is None:
        ip_address = get_request_meta().get("ip")
    acceptance = RoeAcceptance.objects.create(
        tenant=require_current_tenant(),
        rules=rules,
        partner_id=actor.partner_organization_id,
        user=actor.user,
        ip_address=ip_address,
    )
    audit_record(
        actor=actor,
        action="roe.accepted",
        target=rules,
        changes={"version": rules.version, "partner": str(acceptance.partner)},
    )
    return acceptance, True


# --- Asking partner admins (background) -------------------------------------------------------


def _partner_admins_to_ask(rules: RulesOfEngagement):
    return (
        Membership.objects.filter(role=Role.PARTNER_ADMIN, is_active=True, user__is_active=True)
        .exclude(user_id__in=RoeAcceptance.objects.filter(rules=rules).values("user_id"))
        .order_by("pk")
    )


@transaction.atomic
def roe_request_acceptances(*, rules_id: int) -> int:
    """Write one acceptance request per active partner admin who has not accepted yet into the
    mail outbox (once per version and person, however often this runs). Returns how many were
    written now."""
    rules = RulesOfEngagement.objects.filter(pk=rules_id, published_at__isnull=False).first()
    if rules is None:
        return 0
    membership_ids = list(_partner_admins_to_ask(rules).values_list("pk", flat=True))
    return sum(
        roe_send_acceptance_request(rules_id=rules.pk, membership_id=membership_id)
        for membership_id in membership_ids
    )


def roe_acceptance_url(rules: RulesOfEngagement) -> str:
    return tenant_base_url(rules.tenant) + reverse("portal_roe")


def roe_send_acceptance_request(*, rules_id: int, membership_id: int) -> bool:
    """Queue the mail to one partner admin (once per version and person); skip when they
    accepted meanwhile or the version was superseded. True when a mail was written now."""
    rules = (
        RulesOfEngagement.objects.select_related("tenant")
        .filter(pk=rules_id, published_at__isnull=False)
        .first()
    )
    membership = (
        Membership.objects.select_related("user", "partner_organization")
        .filter(pk=membership_id, role=Role.PARTNER_ADMIN, is_active=True)
        .first()
    )
    if rules is None or membership is None:
        return False
    current = current_rules()
    if current is None or current.pk != rules.pk:
        return False
    if RoeAcceptance.objects.filter(rules=rules, user=membership.user).exists():
        return False
    context = {
        "rules": rules,
        "tenant": rules.tenant,
        "membership": membership,
        "accept_url": roe_acceptance_url(rules),
    }
    subject = _("%(tenant)s: please accept the rules of engagement (version %(version)s)") % {
        "tenant": rules.tenant.name,
        "version": rules.version,
    }
    partner = membership.partner_organization
    _row, created = email_enqueue(
        kind=ROE_ACCEPTANCE_REQUEST,
        to=membership.user.email,
        recipient=membership.user,
        subject=subject,
        body_text=render_to_string("emails/partners/roe_acceptance_request.txt", context),
        body_html=render_to_string("emails/partners/roe_acceptance_request.html", context),
        idempotency_key=f"roe:{rules.uuid}:{membership.user_id}",
        reply_to=person_address(partner.channel_manager) if partner is not None else "",
        partner_uuid=partner.uuid if partner is not None else None,
        source_uuid=rules.uuid,
    )
    return created
