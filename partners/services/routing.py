"""Where a new application goes, and the unassigned queue.

A new prospect from the public form is routed at once, in the submitting transaction: the first
active routing rule (by order) that matches it and whose channel manager still works here gives
it that manager; when none matches, the tenant's fallback either shares it in turn among the
channel managers (round robin) or leaves it unassigned, where any channel manager can claim it.
The assignee *is* the prospect's channel manager, so the access rules that let a manager decide
their partners' applications need nothing more. Program admins and the assignee are told; the
applicant gets an acknowledgement (the same words whatever happened, as the thank-you page).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.emails import email_enqueue, mail_kind
from tenancy.hosts import tenant_base_url
from tenancy.models import Membership, User
from tenancy.notifications import notify
from tenancy.roles import Role

from ..models import (
    Application,
    ApplicationRoutingRule,
    AssignedVia,
    LifecycleState,
    PartnerOrganization,
    PartnerType,
    Region,
    RoutingFallback,
)
from ..selectors.applications import is_unassigned

APPLICATION_RECEIVED = mail_kind(
    "partners.application_received", gettext_lazy("New partner application")
)
APPLICATION_ASSIGNED = mail_kind(
    "partners.application_assigned", gettext_lazy("Partner application assigned to you")
)
APPLICATION_ACKNOWLEDGED = mail_kind(
    "partners.application_acknowledged", gettext_lazy("Partner application received (applicant)")
)

RULE_REFUSED = gettext_lazy("Choose a channel manager of this program.")


def channel_managers() -> QuerySet[User]:
    """The channel managers working here now, in a fixed order (round robin walks it)."""
    return User.objects.filter(
        pk__in=Membership.objects.filter(role=Role.CHANNEL_MANAGER, is_active=True).values(
            "user_id"
        )
    ).order_by("pk")


def rule_matches(rule: ApplicationRoutingRule, application: Application) -> bool:
    """Each criterion the rule sets must hold: the HQ country is one of its countries or a region
    served is one of its regions (when it names either), and a partner type is one of its types
    (when it names any)."""
    if rule.countries or rule.regions:
        in_country = str(application.hq_country or "") in rule.countries
        in_region = bool(set(application.regions) & set(rule.regions))
        if not (in_country or in_region):
            return False
    return not rule.partner_types or bool(set(application.partner_types) & set(rule.partner_types))


def matching_rule(application: Application) -> ApplicationRoutingRule | None:
    """The first active rule (by order) that matches and whose manager still works here."""
    working = set(channel_managers().values_list("pk", flat=True))
    for rule in ApplicationRoutingRule.objects.filter(is_active=True).order_by("position", "id"):
        if rule.channel_manager_id in working and rule_matches(rule, application):
            return rule
    return None


def _locked_settings():
    from .tiers import program_settings

    return type(program_settings()).objects.select_for_update().get(pk=program_settings().pk)


def _next_in_turn() -> User | None:
    """The manager after the last one served (by id, wrapping); the settings row is locked so
    two applications at once never go to the same person out of turn."""
    settings = _locked_settings()
    managers = list(channel_managers())
    if not managers:
        return None
    last = settings.round_robin_last_id or 0
    chosen = next((m for m in managers if m.pk > last), managers[0])
    settings.round_robin_last = chosen
    settings.save(update_fields=["round_robin_last"])
    return chosen


def _assign(application: Application, manager: User, *, via: str, rule=None) -> None:
    partner = PartnerOrganization.objects.select_for_update().get(pk=application.partner_id)
    partner.channel_manager = manager
    partner.save(update_fields=["channel_manager"])
    application.partner = partner
    application.assigned_via = via
    application.assigned_at = timezone.now()
    application.routing_rule = rule
    application.save(update_fields=["assigned_via", "assigned_at", "routing_rule"])


def _absolute(path: str) -> str:
    return tenant_base_url(require_current_tenant()) + path


def _program_admins() -> QuerySet[User]:
    return User.objects.filter(
        pk__in=Membership.objects.filter(role=Role.PROGRAM_ADMIN, is_active=True).values("user_id")
    ).order_by("pk")


def _tell_staff(application: Application) -> None:
    """Program admins hear of every application; the assigned manager that it is theirs."""
    manager = application.partner.channel_manager
    url = reverse("console_application_detail", kwargs={"application_uuid": application.uuid})
    context = {
        "application": application,
        "manager": manager,
        "url": _absolute(url),
        "tenant": application.tenant,
        "types": [str(PartnerType(t).label) for t in application.partner_types],
        "regions": [str(Region(r).label) for r in application.regions if r in Region.values],
    }
    subject = _("New partner application: %(company)s") % {"company": application.company_name}
    for admin in _program_admins():
        if manager is not None and admin.pk == manager.pk:
            continue  # told below, once
        notify(
            user=admin,
            kind=APPLICATION_RECEIVED,
            subject=subject,
            body_text=render_to_string("emails/partners/application_received.txt", context),
            url=url,
            idempotency_key=f"application-received:{application.uuid}:{admin.pk}",
            partner_uuid=application.partner.uuid,
            source_uuid=application.uuid,
        )
    if manager is not None:
        _tell_assignee(application, manager, url=url, context=context)


def _tell_assignee(application: Application, manager: User, *, url: str, context: dict) -> None:
    notify(
        user=manager,
        kind=APPLICATION_ASSIGNED,
        subject=_("Assigned to you: the application of %(company)s")
        % {"company": application.company_name},
        body_text=render_to_string(
            "emails/partners/application_assigned.txt", {**context, "manager": manager}
        ),
        url=url,
        idempotency_key=f"application-assigned:{application.uuid}:{manager.pk}",
        partner_uuid=application.partner.uuid,
        source_uuid=application.uuid,
    )


def acknowledge(application: Application) -> None:
    """The applicant's receipt: the same words whether the company was new or known."""
    context = {"application": application, "tenant": application.tenant}
    email_enqueue(
        kind=APPLICATION_ACKNOWLEDGED,
        to=application.contact_email,
        subject=_("We received your application to %(tenant)s's partner program")
        % {"tenant": application.tenant.name},
        body_text=render_to_string("emails/partners/application_acknowledged.txt", context),
        body_html=render_to_string("emails/partners/application_acknowledged.html", context),
        idempotency_key=f"application-acknowledged:{application.uuid}",
        source_uuid=application.uuid,
    )


def application_route(*, application: Application) -> Application:
    """Route a just-submitted application (in the submitting transaction), tell staff and
    acknowledge it. A held application keeps the partner it matched (and its manager)."""
    system = Actor(tenant=require_current_tenant())
    if not application.held_for_review:
        rule = matching_rule(application)
        manager, via = (rule.channel_manager, AssignedVia.RULE) if rule else (None, "")
        if manager is None:
            from .tiers import program_settings

            if program_settings().application_fallback == RoutingFallback.ROUND_ROBIN:
                manager, via = _next_in_turn(), AssignedVia.ROUND_ROBIN
        if manager is not None:
            _assign(application, manager, via=via, rule=rule)
            audit_record(
                actor=system,
                action="partner_application.assigned",
                target=application,
                changes={
                    "manager": manager.email,
                    "how": str(AssignedVia(via).label),
                    "rule": rule.name if rule else "",
                },
            )
    _tell_staff(application)
    acknowledge(application)
    return application


@transaction.atomic
def application_claim(*, actor: Actor, application: Application) -> Application:
    """A manager takes an application from the unassigned queue: it becomes theirs (the
    prospect's channel manager). Rows are locked, so of two managers claiming at once one
    wins and the other is told it is gone."""
    access.require(actor, Perm.APPLICATIONS_CLAIM)
    if not access.may_claim_application(actor):
        raise ValidationError(_("Only a person can claim an application."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    partner = PartnerOrganization.objects.select_for_update().get(pk=application.partner_id)
    if not is_unassigned(application):
        owner = partner.channel_manager
        if owner is not None and application.decided_at is None:
            raise ValidationError(
                _("%(name)s has already taken this application.")
                % {"name": owner.full_name or owner.email}
            )
        raise ValidationError(_("This application is no longer waiting for a manager."))
    _assign(application, actor.user, via=AssignedVia.CLAIMED)
    audit_record(
        actor=actor,
        action="partner_application.claimed",
        target=application,
        changes={"manager": actor.user.email},
    )
    return application


@transaction.atomic
def routing_rule_save(
    *, actor: Actor, rule: ApplicationRoutingRule | None = None, **fields
) -> ApplicationRoutingRule:
    """Create (rule=None) or change a routing rule: program admins."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    manager = fields.get("channel_manager")
    if manager is None or not channel_managers().filter(pk=manager.pk).exists():
        raise ValidationError({"channel_manager": RULE_REFUSED})
    created = rule is None
    rule = rule or ApplicationRoutingRule(tenant=require_current_tenant())
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.countries = sorted({str(c).upper() for c in rule.countries or []})
    rule.regions = [r for r in Region.values if r in (rule.regions or [])]
    rule.partner_types = [t for t in PartnerType.values if t in (rule.partner_types or [])]
    rule.full_clean(exclude=["tenant", "uuid"])
    rule.save()
    audit_record(
        actor=actor,
        action="routing_rule.created" if created else "routing_rule.changed",
        target=rule,
        changes={
            "name": rule.name,
            "order": rule.position,
            "manager": manager.email,
            "countries": ", ".join(str(countries.name(c) or c) for c in rule.countries),
            "regions": ", ".join(str(Region(r).label) for r in rule.regions),
            "partner_types": ", ".join(str(PartnerType(t).label) for t in rule.partner_types),
            "in_use": rule.is_active,
        },
    )
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: Actor, rule: ApplicationRoutingRule) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)
    audit_record(actor=actor, action="routing_rule.deleted", target=rule, changes={})
    rule.delete()


@transaction.atomic
def routing_fallback_set(*, actor: Actor, fallback: str):
    """What happens to applications no rule matches (program admins)."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    if fallback not in RoutingFallback.values:
        raise ValidationError({"application_fallback": _("Choose what happens to them.")})
    settings = _locked_settings()
    before = settings.application_fallback
    settings.application_fallback = fallback
    settings.save(update_fields=["application_fallback"])
    audit_record(
        actor=actor,
        action="routing_fallback.changed",
        target=settings,
        changes={
            "from": str(RoutingFallback(before).label),
            "to": str(RoutingFallback(fallback).label),
        },
    )
    return settings


@transaction.atomic
def application_decide(
    *, actor: Actor, application: Application, approve: bool, reason: str = ""
) -> PartnerOrganization:
    """Approve or reject a new prospect's application (program admins; the manager it is
    assigned to): the prospect moves to approved or retired, the applicant hears the decision.
    Held applications are decided on their review (merge, new prospect, reject)."""
    from .organization import partner_transition

    if not access.may_decide_application(actor, application.partner):
        access.require(actor, Perm.PARTNERS_MANAGE)
        raise PermissionDenied(_("Only the manager it is assigned to or an admin may decide it."))
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.held_for_review:
        raise ValidationError(
            _("This application names a partner already in the program: review it instead.")
        )
    if application.decided_at is not None:
        raise ValidationError(_("This application has already been decided."))
    return partner_transition(
        actor=actor,
        partner=application.partner,
        to_state=LifecycleState.APPROVED if approve else LifecycleState.RETIRED,
        reason=reason,
    )
