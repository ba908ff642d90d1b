"""Writes for partner organisations: profile, lifecycle (one transitions table), contacts, and the
decision email of an application (the public form itself: services/applications.py)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.domains import is_valid_domain, normalize_domain
from tenancy.context import require_current_tenant
from tenancy.emails import email_enqueue, mail_kind, person_address
from tenancy.registry import Registry

from ..models import (
    Application,
    ContactRole,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerSource,
    PartnerType,
    Region,
)

S = LifecycleState
APPLICATION_DECIDED = mail_kind(
    "partners.application_decided",
    gettext_lazy("Partner application decided"),
    in_app=False,  # to the applicant's address: no account yet
)

# --- The lifecycle -------------------------------------------------------------------------------

# The one table of allowed moves. A prospect staff recruited themselves may be approved without an
# application; an application is decided by approving it or rejecting it (→ retired). Retired is
# final: a company that comes back is a new conversation, started by staff.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.PROSPECT: (S.APPLIED, S.APPROVED, S.RETIRED),
    S.APPLIED: (S.APPROVED, S.RETIRED),
    S.APPROVED: (S.CONTRACTED, S.RETIRED),
    S.CONTRACTED: (S.ACTIVE, S.SUSPENDED, S.RETIRED),
    S.ACTIVE: (S.SUSPENDED, S.RETIRED),
    S.SUSPENDED: (S.ACTIVE, S.RETIRED),
    S.RETIRED: (),
}
# Moves that take something away from the partner must say why.
REASON_REQUIRED = frozenset({S.SUSPENDED, S.RETIRED})
# States in which the partner takes part in the program (portal, deals, tiers).
ACTIVE_STATES = frozenset({S.APPROVED, S.CONTRACTED, S.ACTIVE})
# The recruitment pipeline board's columns, in order.
PIPELINE_STATES = (S.PROSPECT, S.APPLIED, S.APPROVED, S.CONTRACTED)


def allowed_transitions(state: str) -> tuple[str, ...]:
    return TRANSITIONS.get(state, ())


def _label(state: str) -> str:
    return str(S(state).label) if state in S.values else state


def _write_event(
    partner: PartnerOrganization, *, from_state: str, to_state: str, reason: str, by, by_label: str
) -> LifecycleEvent:
    return LifecycleEvent.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        by=by,
        by_label=by_label[:254],
        created_at=partner.state_changed_at,
    )


def _move(
    partner: PartnerOrganization, *, to_state: str, reason: str, by, by_label: str
) -> LifecycleEvent:
    """Move a saved partner and write its history row (callers have checked the table)."""
    from_state = partner.state
    partner.state = to_state
    partner.state_changed_at = timezone.now()
    partner.is_active = to_state not in (S.SUSPENDED, S.RETIRED)
    partner.save(update_fields=["state", "state_changed_at", "is_active"])
    return _write_event(
        partner, from_state=from_state, to_state=to_state, reason=reason, by=by, by_label=by_label
    )


@transaction.atomic
def partner_transition(
    *, actor: Actor, partner: PartnerOrganization, to_state: str, reason: str = ""
) -> PartnerOrganization:
    """Move a partner through its lifecycle along TRANSITIONS, recording who, when and why.

    Deciding an application (applied → approved / retired) records the decision on it and emails
    the applicant once this commits.
    """
    if actor is not access.SYSTEM:
        access.require(actor, Perm.PARTNERS_MANAGE)
        if not access.may_manage_partner(actor, partner):
            raise PermissionDenied(
                _("Only this partner's channel manager or an admin may move it.")
            )
    partner = PartnerOrganization.objects.select_for_update().get(pk=partner.pk)
    reason = (reason or "").strip()
    if to_state not in S.values:
        raise ValidationError({"to_state": _("Unknown lifecycle state “%s”.") % to_state})
    if to_state not in allowed_transitions(partner.state):
        allowed = ", ".join(_label(s) for s in allowed_transitions(partner.state)) or _("none")
        raise ValidationError(
            {
                "to_state": _(
                    "A partner cannot move from %(from)s to %(to)s. Allowed from %(from)s: "
                    "%(allowed)s."
                )
                % {"from": _label(partner.state), "to": _label(to_state), "allowed": allowed}
            }
        )
    if to_state in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("Say why: the partner's history keeps the reason.")})
    from_state = partner.state
    _move(partner, to_state=to_state, reason=reason, by=actor.user, by_label=actor.label)
    audit_record(
        actor=actor,
        action="partner.lifecycle_changed",
        target=partner,
        changes={"state": [from_state, to_state], "reason": reason},
    )
    if from_state == S.APPLIED:
        _decide_application(actor, partner, approved=to_state == S.APPROVED, reason=reason)
    _place_in_tier(partner, from_state=from_state)
    return partner


def _place_in_tier(partner: PartnerOrganization, *, from_state: str) -> None:
    """A partner that has just entered the evaluated states (contracted, active) gets its tier now,
    not at the next scheduled evaluation: the entry tier, or the proposal its figures call for."""
    from .tiers import EVALUATED_STATES, evaluate_partner

    if partner.state in EVALUATED_STATES and from_state not in EVALUATED_STATES:
        evaluate_partner(partner=partner)
        partner.refresh_from_db(fields=["tier", "tier_since", "below_tier_since"])


def _decide_application(actor: Actor, partner: PartnerOrganization, *, approved: bool, reason):
    application = (
        Application.objects.select_for_update()
        # Held applications (they matched this partner; nothing was changed) are decided on
        # their own review page, never by the partner's lifecycle.
        .filter(partner=partner, decided_at__isnull=True, held_for_review=False)
        .order_by("-submitted_at")
        .first()
    )
    if application is None:
        return
    application.decision = "approved" if approved else "rejected"
    application.decision_reason = reason
    application.decided_at = timezone.now()
    application.save(update_fields=["decision", "decision_reason", "decided_at"])
    audit_record(
        actor=actor,
        action=f"partner_application.{application.decision}",
        target=application,
        changes={"reason": reason},
    )
    application_decision_email_send(application=application)


def application_decision_email_send(*, application: Application) -> None:
    """Write the applicant's mail about the decision (text + HTML, tenant-branded) into the
    outbox, in the deciding transaction."""
    if application.decision not in ("approved", "rejected"):
        return
    tenant = application.tenant
    context = {
        "application": application,
        "partner": application.partner,
        # A held application matched someone else's record: its name for the company is theirs.
        "company": application.company_name
        if application.held_for_review
        else application.partner.name,
        "tenant": tenant,
        "manager": application.partner.channel_manager,
    }
    if application.decision == "approved":
        subject = _("Your application to %(tenant)s's partner program is approved") % {
            "tenant": tenant.name
        }
    else:
        subject = _("Your application to %(tenant)s's partner program") % {"tenant": tenant.name}
    name = f"emails/partners/application_{application.decision}"
    email_enqueue(
        kind=APPLICATION_DECIDED,
        to=application.contact_email,
        subject=subject,
        body_text=render_to_string(f"{name}.txt", context),
        body_html=render_to_string(f"{name}.html", context),
        reply_to=person_address(application.partner.channel_manager),
        partner_uuid=application.partner.uuid,
        source_uuid=application.uuid,
    )


# --- The profile ---------------------------------------------------------------------------------

# What a partner admin may change about their own organisation. Staff may change these plus the
# channel manager (program admins only).
PROFILE_FIELDS = (
    "name",
    "legal_name",
    "website",
    "logo_url",
    "description",
    "hq_country",
    "regions",
    "industries",
    "employee_band",
    "revenue_band",
    "partner_type",
    "partner_types",
    "skills",
    "sales_motion",
    "co_marketing",
    "planned_certified_staff",
)
LIST_FIELDS = ("regions", "industries", "partner_types", "skills")


def _clean_list(values, *, choices: list[str] | None = None) -> list[str]:
    """Distinct (case-insensitively), trimmed strings in the order given; with `choices`, only
    those."""
    if isinstance(values, str):
        values = values.split(",")
    seen: dict[str, str] = {}  # casefolded → first spelling given
    for value in values or ():
        text = " ".join(str(value).split())
        if text and (choices is None or text in choices):
            seen.setdefault(text.casefold(), text)
    return list(seen.values())


def _apply_profile(partner: PartnerOrganization, data: dict[str, Any]) -> list[str]:
    """Copy profile values onto the partner; return the names of the fields that changed."""
    unknown = set(data) - set(PROFILE_FIELDS) - {"channel_manager"}
    if unknown:
        raise ValidationError(_("Unknown profile fields: %s") % ", ".join(sorted(unknown)))
    choices = {"regions": Region.values, "partner_types": PartnerType.values}
    changed = []
    for field, value in data.items():
        if field in LIST_FIELDS:
            value = _clean_list(value, choices=choices.get(field))
        elif isinstance(value, str):
            value = value.strip()
        if value is None and isinstance(
            PartnerOrganization._meta.get_field(field), (models.CharField, models.TextField)
        ):
            value = ""
        if getattr(partner, field) != value:
            setattr(partner, field, value)
            changed.append(field)
    if partner.partner_type and partner.partner_type not in partner.partner_types:
        partner.partner_types = [partner.partner_type, *partner.partner_types]
    elif not partner.partner_type and partner.partner_types:
        partner.partner_type = partner.partner_types[0]
    domain = normalize_domain(partner.website)
    if partner.website and domain != partner.domain:
        partner.domain = domain
        changed.append("domain")
    if partner.domain and not is_valid_domain(partner.domain):
        raise ValidationError({"website": _("Enter a website with a valid domain name.")})
    return changed


def _check_unique(partner: PartnerOrganization) -> None:
    others = PartnerOrganization.objects.exclude(pk=partner.pk)
    if others.filter(name__iexact=partner.name).exists():
        raise ValidationError({"name": _("A partner with this name already exists.")})
    if partner.domain and others.filter(domain=partner.domain).exists():
        raise ValidationError(
            {"website": _("Another partner already uses the domain %s.") % partner.domain}
        )


def _save_unique(partner: PartnerOrganization, **save_kwargs: Any) -> None:
    """Save after `_check_unique`; when a concurrent save took the same name or domain first (the
    database's unique constraints), answer the same field error, not a database error."""
    _check_unique(partner)
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction stays usable
            partner.save(**save_kwargs)
    except IntegrityError:
        _check_unique(partner)
        raise


# One answer whether the email is unknown, another tenant's or not a manager here: the field must
# not tell anyone which people have accounts.
CHANNEL_MANAGER_REFUSED = gettext_lazy("Choose a channel manager or program admin of this program.")


def _check_channel_manager(user) -> None:
    from tenancy.models import Membership
    from tenancy.roles import Role

    if user is None:
        return
    if not Membership.objects.filter(
        user=user, is_active=True, role__in=(Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN)
    ).exists():
        raise ValidationError({"channel_manager": CHANNEL_MANAGER_REFUSED})


def may_edit_profile(actor: Actor, partner: PartnerOrganization) -> bool:
    """Staff who manage the partner, or the partner's own admins."""
    if access.may_manage_partner(actor, partner):
        return True
    return (
        actor.has(Perm.PARTNER_PROFILE_EDIT)
        and actor.partner_organization_id is not None
        and actor.partner_organization_id == partner.pk
    )


def _rescore(partner: PartnerOrganization) -> None:
    from .ipp import score_partner

    score_partner(partner=partner)


# fn(*, partner, at): a partner's profile was saved with changes at `at` (onboarding records
# "profile complete" when it now is).
profile_saved: Registry = Registry("partners.profile_saved", required=True)


@transaction.atomic
def partner_update_profile(
    *, actor: Actor, partner: PartnerOrganization, **data: Any
) -> PartnerOrganization:
    """Change profile fields (keyword per field; list fields take lists), then rescore the fit.

    Program admins may also reassign `channel_manager`; partner admins change only their own
    organisation and never its manager, primary type (it drives what the program gives them),
    state or tier.
    """
    access.require_mfa(actor)
    if not may_edit_profile(actor, partner):
        raise PermissionDenied(_("You may not edit this partner's profile."))
    partner = PartnerOrganization.objects.select_for_update().get(pk=partner.pk)
    if (
        not access.may_manage_partner(actor, partner)
        and data.get("partner_type", partner.partner_type) != partner.partner_type
    ):
        raise PermissionDenied(_("Ask your channel manager to change your primary partner type."))
    old_manager = partner.channel_manager
    if "channel_manager" in data:
        if data["channel_manager"] != old_manager and not actor.has(Perm.PROGRAM_MANAGE):
            raise PermissionDenied(_("Only program admins assign channel managers."))
        _check_channel_manager(data["channel_manager"])
    changed = _apply_profile(partner, data)
    if not changed:
        return partner
    partner.full_clean(exclude=["tenant", "uuid"], validate_unique=False)
    _save_unique(partner)
    saved_at = timezone.now()
    audit_record(
        actor=actor,
        action="partner.profile_updated",
        target=partner,
        changes={"fields": sorted(set(changed) - {"channel_manager"})},
    )
    if "channel_manager" in changed:
        audit_record(
            actor=actor,
            action="partner.channel_manager_changed",
            target=partner,
            changes={
                "channel_manager": [
                    old_manager.email if old_manager else None,
                    partner.channel_manager.email if partner.channel_manager else None,
                ]
            },
        )
    _rescore(partner)
    profile_saved.run(partner=partner, at=saved_at)
    return partner


CREATED_REASONS = {
    PartnerSource.MANUAL: gettext_lazy("Added by staff."),
    PartnerSource.APPLICATION: gettext_lazy("Submitted the application form."),
    PartnerSource.IMPORT: gettext_lazy("Imported."),
}


@transaction.atomic
def partner_organization_create(
    *,
    actor: Actor,
    name: str,
    partner_type: str,
    website: str = "",
    channel_manager=None,
    source: str = PartnerSource.MANUAL,
    state: str = S.PROSPECT,
    score: bool = True,
    **profile: Any,
) -> PartnerOrganization:
    """Add a partner (a prospect unless `state` says otherwise, e.g. an import of existing
    partners). Extra keywords are profile fields (see PROFILE_FIELDS).

    `score=False` skips the fit score (bulk callers rescore the tenant once at the end).
    """
    if actor is not access.SYSTEM:
        access.require(actor, Perm.PARTNERS_MANAGE)
    if state not in S.values:
        raise ValidationError({"state": _("Unknown lifecycle state “%s”.") % state})
    partner = PartnerOrganization(
        tenant=require_current_tenant(),
        channel_manager=channel_manager,
        source=source,
        state=state,
        is_active=state not in (S.SUSPENDED, S.RETIRED),
    )
    _apply_profile(
        partner, {"name": name, "partner_type": partner_type, "website": website, **profile}
    )
    _check_channel_manager(channel_manager)
    partner.full_clean(exclude=["tenant", "uuid"], validate_unique=False)
    _save_unique(partner)
    _write_event(
        partner,
        from_state="",
        to_state=state,
        reason=str(CREATED_REASONS.get(source, source)),
        by=actor.user,
        by_label=actor.label,
    )
    audit_record(
        actor=actor,
        action="partner.created",
        target=partner,
        changes={"partner_type": partner.partner_type, "source": source},
    )
    if score:
        _rescore(partner)
    _place_in_tier(partner, from_state="")
    return partner


# --- Contacts -----------------------------------------------------------------------------------


@transaction.atomic
def partner_contact_add(
    *,
    actor: Actor,
    partner: PartnerOrganization,
    name: str,
    email: str,
    phone: str = "",
    title: str = "",
    role: str = ContactRole.PRIMARY,
) -> PartnerContact:
    """Add a key contact. A new primary contact takes over: the partner's previous primary
    contact becomes "other" (at most one primary per partner, a database constraint)."""
    access.require_mfa(actor)
    if not may_edit_profile(actor, partner):
        raise PermissionDenied(_("You may not change this partner's contacts."))
    email = email.strip().lower()
    if PartnerContact.objects.filter(partner=partner, email__iexact=email).exists():
        raise ValidationError({"email": _("This partner already has a contact with this email.")})
    demoted = []
    if role == ContactRole.PRIMARY:
        demoted = contact_primary_demote(partner=partner)
    contact = PartnerContact(
        tenant=require_current_tenant(),
        partner=partner,
        name=name.strip(),
        email=email,
        phone=phone.strip(),
        title=title.strip(),
        role=role,
    )
    contact.full_clean(exclude=["tenant", "uuid"])
    try:
        with transaction.atomic():
            contact.save()
    except IntegrityError:  # another primary was added at the same moment
        raise ValidationError(
            {"role": _("This partner already has a primary contact. Try again.")}
        ) from None
    audit_record(
        actor=actor,
        action="partner.contact_added",
        target=partner,
        changes={"email": email, **({"no_longer_primary": demoted} if demoted else {})},
    )
    return contact


def contact_primary_demote(*, partner: PartnerOrganization, keep=None) -> list[str]:
    """Make the partner's current primary contact (other than `keep`) an "other" contact, before
    another becomes primary. Locks the partner's primary rows; returns the demoted emails."""
    current = PartnerContact.objects.select_for_update().filter(
        partner=partner, role=ContactRole.PRIMARY
    )
    if keep is not None:
        current = current.exclude(pk=keep.pk)
    emails = list(current.values_list("email", flat=True))
    if emails:
        current.update(role=ContactRole.OTHER)
    return emails


@transaction.atomic
def partner_contact_remove(*, actor: Actor, contact: PartnerContact) -> None:
    access.require_mfa(actor)
    partner = contact.partner
    if not may_edit_profile(actor, partner):
        raise PermissionDenied(_("You may not change this partner's contacts."))
    email = contact.email
    contact.delete()
    audit_record(
        actor=actor, action="partner.contact_removed", target=partner, changes={"email": email}
    )
