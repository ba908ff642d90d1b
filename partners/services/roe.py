"""Rules of engagement: a versioned document (`documents`: drafts, publishing, accepting) whose
acceptance is recorded per partner admin, and the emails asking partner admins to accept.

Drafts are numbered when published: published versions count 1, 2, 3... without gaps, and the
newest published version is the current one.
"""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.access import Actor
from tenancy.audit import audit_record
from tenancy.context import get_request_meta, require_current_tenant
from tenancy.emails import mail_kind, person_address
from tenancy.hosts import tenant_base_url
from tenancy.models import Membership
from tenancy.notifications import notify
from tenancy.roles import Role
from tenancy.tasks import enqueue

from ..models import RoeAcceptance, RulesOfEngagement
from ..selectors.roe import ROE, current_rules
from . import documents

ROE_ACCEPTANCE_REQUEST = mail_kind(
    "partners.roe_acceptance_request", gettext_lazy("Rules of engagement: please accept")
)


def roe_draft_create(
    *, actor: Actor, title: str, body: str, change_summary: str = ""
) -> RulesOfEngagement:
    return documents.document_draft_create(
        ROE, actor=actor, title=title, body=body, change_summary=change_summary
    )


def roe_draft_update(
    *, actor: Actor, rules: RulesOfEngagement, title: str, body: str, change_summary: str = ""
) -> RulesOfEngagement:
    return documents.document_draft_update(
        ROE, actor=actor, document=rules, title=title, body=body, change_summary=change_summary
    )


def roe_publish(
    *, actor: Actor, rules: RulesOfEngagement, notify: bool = True
) -> RulesOfEngagement:
    """Make a draft the current version and ask every active partner admin to accept it."""
    rules = documents.document_publish(ROE, actor=actor, document=rules)
    if notify:
        from ..tasks.roe import request_roe_acceptances

        enqueue(request_roe_acceptances, tenant=rules.tenant, rules_id=rules.pk)
    return rules


def roe_accept(
    *, actor: Actor, rules: RulesOfEngagement, ip_address: str | None = None
) -> tuple[RoeAcceptance, bool]:
    """Record that this partner admin accepts `rules` for their organisation.

    Returns (acceptance, created): accepting the same version again is a no-op.
    """

    def existing(partner):
        found = RoeAcceptance.objects.filter(rules=rules, user=actor.user).first()
        return (found, False) if found is not None else None

    def record(partner, current):
        acceptance = RoeAcceptance.objects.create(
            tenant=require_current_tenant(),
            rules=current,
            partner=partner,
            user=actor.user,
            ip_address=ip_address if ip_address is not None else get_request_meta().get("ip"),
        )
        audit_record(
            actor=actor,
            action="roe.accepted",
            target=current,
            changes={"version": current.version, "partner": str(partner)},
        )
        return acceptance, True

    return documents.document_accept(
        ROE, actor=actor, document=rules, record=record, existing=existing
    )


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
    created = notify(
        user=membership.user,
        kind=ROE_ACCEPTANCE_REQUEST,
        subject=subject,
        body_text=render_to_string("emails/partners/roe_acceptance_request.txt", context),
        body_html=render_to_string("emails/partners/roe_acceptance_request.html", context),
        url=reverse("portal_roe"),
        idempotency_key=f"roe:{rules.uuid}:{membership.user_id}",
        reply_to=person_address(partner.channel_manager) if partner is not None else "",
        partner_uuid=partner.uuid if partner is not None else None,
        source_uuid=rules.uuid,
    ).created
    return created
