"""The public application form and the review of what it holds.

An anonymous submission never edits a record staff keep. A company nobody knows (by website
domain and by name) becomes a prospect in "applied", as it always did. A submission that matches an
existing partner is stored beside it, held for review, and the applicant sees the same thank-you
page either way (the form does not tell anyone whether a company is already known). Staff then
merge the fields they choose into the partner, create a new prospect from it, or reject it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.domains import is_valid_domain, normalize_domain
from tenancy.context import require_current_tenant

from ..models import (
    Application,
    ApplicationDecision,
    ContactRole,
    EmployeeBand,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerSource,
    PartnerType,
    Region,
)
from .organization import (
    _apply_profile,
    _clean_list,
    _rescore,
    _save_unique,
    _write_event,
    application_decision_email_send,
    partner_organization_create,
)

S = LifecycleState

# What staff may take from a held application into the partner it matched: the submitted value
# replaces the partner's, except lists (regions, partner types, skills), which are added to it.
MERGEABLE_FIELDS = (
    "name",
    "website",
    "hq_country",
    "regions",
    "employee_band",
    "partner_types",
    "skills",
)
_LIST_FIELDS = ("regions", "partner_types", "skills")
# The application's own field for each mergeable partner field (where the name differs).
_SUBMITTED_AS = {"name": "company_name"}


def _applicant_label(contact_email: str) -> str:
    return _("%(email)s (application form)") % {"email": contact_email}


def _matching_partner(domain: str, company_name: str) -> PartnerOrganization | None:
    """The existing partner a submission is about: same website domain, else same name."""
    return (
        PartnerOrganization.objects.filter(domain=domain).first()
        or PartnerOrganization.objects.filter(name__iexact=company_name).first()
    )


@transaction.atomic
def application_submit(
    *,
    company_name: str,
    website: str,
    contact_name: str,
    contact_email: str,
    partner_types: list[str],
    country: str = "",
    regions: list[str] | None = None,
    employee_band: str = "",
    skills: list[str] | None = None,
    contact_title: str = "",
    message: str = "",
    ip_address: str | None = None,
) -> Application:
    """A company applies to the current tenant's program (anonymous: no actor).

    The answer does not depend on what the program already knows: refusals are only about the
    input itself (a website without a valid domain, no partner type).
    """
    tenant = require_current_tenant()
    company_name = " ".join((company_name or "").split())
    contact_email = contact_email.strip().lower()
    domain = normalize_domain(website)
    if not domain or not is_valid_domain(domain):
        raise ValidationError({"website": _("Enter your company's website, e.g. example.com.")})
    partner_types = _clean_list(partner_types, choices=PartnerType.values)
    if not partner_types:
        raise ValidationError({"partner_types": _("Choose at least one way to partner with us.")})
    application = Application(
        tenant=tenant,
        company_name=company_name,
        website=website.strip(),
        domain=domain,
        hq_country=country,
        regions=_clean_list(regions or [], choices=Region.values),
        employee_band=employee_band,
        partner_types=partner_types,
        skills=_clean_list(skills or []),
        contact_name=contact_name.strip(),
        contact_email=contact_email,
        contact_title=contact_title.strip(),
        message=message.strip(),
        ip_address=ip_address,
    )
    application.full_clean(exclude=["tenant", "uuid", "partner"])
    existing = _matching_partner(domain, company_name)
    partner = None
    if existing is None:
        try:
            with transaction.atomic():  # a concurrent application for the same company wins
                partner = _new_prospect(application)
        except IntegrityError:
            existing = _matching_partner(domain, company_name)
            if existing is None:
                raise
    if partner is None:
        return _hold(application, existing)
    application.partner = partner
    application.save()
    _add_applicant_contact(application, partner, role=ContactRole.PRIMARY)
    audit_record(
        actor=access.Actor(tenant=tenant),
        action="partner_application.submitted",
        target=partner,
        changes={"domain": domain, "by": _applicant_label(contact_email)},
    )
    _rescore(partner)
    return application


def _new_prospect(application: Application) -> PartnerOrganization:
    """The prospect a submission from an unknown company becomes, in "applied"."""
    partner = PartnerOrganization(
        tenant=application.tenant, source=PartnerSource.APPLICATION, state=S.APPLIED
    )
    _apply_profile(
        partner,
        {
            "name": application.company_name,
            "website": application.website,
            "hq_country": application.hq_country,
            "regions": application.regions,
            "employee_band": application.employee_band,
            "partner_types": application.partner_types,
            "partner_type": application.partner_types[0],
            "skills": application.skills,
        },
    )
    partner.full_clean(exclude=["tenant", "uuid"], validate_unique=False)
    partner.save()
    _write_event(
        partner,
        from_state="",
        to_state=S.APPLIED,
        reason=_("Submitted the application form."),
        by=None,
        by_label=_applicant_label(application.contact_email),
    )
    return partner


def _hold(application: Application, existing: PartnerOrganization) -> Application:
    """Keep a submission that matches an existing partner beside it; change nothing of it."""
    application.partner = existing
    application.held_for_review = True
    application.save()
    audit_record(
        actor=access.Actor(tenant=application.tenant),
        action="partner_application.held",
        target=existing,
        changes={
            "domain": application.domain,
            "company_name": application.company_name,
            "by": _applicant_label(application.contact_email),
        },
    )
    return application


def _add_applicant_contact(application: Application, partner, *, role: str) -> None:
    if not PartnerContact.objects.filter(
        partner=partner, email__iexact=application.contact_email
    ).exists():
        if (
            role == ContactRole.PRIMARY
            and PartnerContact.objects.filter(partner=partner, role=role).exists()
        ):
            role = ContactRole.OTHER  # the partner's primary contact stays (one per partner)
        PartnerContact.objects.create(
            tenant=application.tenant,
            partner=partner,
            name=application.contact_name,
            email=application.contact_email,
            title=application.contact_title,
            role=role,
        )


# --- Review of held applications ----------------------------------------------------------------


def _require_reviewer(actor: Actor, application: Application) -> Application:
    """Staff who manage the partner the application matched; the row, locked and still open."""
    access.require(actor, Perm.PARTNERS_MANAGE)
    access.require_mfa(actor)
    if not access.may_manage_partner(actor, application.partner):
        raise PermissionDenied(_("Only this partner's channel manager or an admin may."))
    application = (
        Application.objects.select_for_update().select_related("partner").get(pk=application.pk)
    )
    if not application.held_for_review or application.decided_at is not None:
        raise ValidationError(_("This application has already been dealt with."))
    return application


def _decide(actor: Actor, application: Application, decision: str, reason: str = "") -> None:
    application.decision = decision
    application.decision_reason = reason
    application.decided_at = timezone.now()
    application.decided_by = actor.user
    application.save(update_fields=["decision", "decision_reason", "decided_at", "decided_by"])


def _shown(field: str, value) -> str:
    labels = {"regions": dict(Region.choices), "partner_types": dict(PartnerType.choices)}
    if field in _LIST_FIELDS:
        return ", ".join(str(labels.get(field, {}).get(item, item)) for item in value or [])
    if field == "hq_country":
        return str(value.name) if value else ""
    if field == "employee_band":
        return str(dict(EmployeeBand.choices).get(value, value or ""))
    return str(value or "")


def merge_preview(application: Application) -> list[dict]:
    """Each mergeable field with the partner's value and the submitted one, as words (for the
    review page), and whether taking it would change the partner."""
    partner = application.partner
    rows = []
    for field in MERGEABLE_FIELDS:
        current = getattr(partner, field)
        submitted = getattr(application, _SUBMITTED_AS.get(field, field))
        if field in _LIST_FIELDS:
            differs = bool(set(submitted) - set(current))
        else:
            differs = str(submitted or "") != str(current or "")
        rows.append(
            {
                "field": field,
                "label": PartnerOrganization._meta.get_field(field).verbose_name,
                "current": _shown(field, current),
                "submitted": _shown(field, submitted),
                "differs": differs,
            }
        )
    return rows


@transaction.atomic
def application_merge(
    *, actor: Actor, application: Application, fields: list[str], contact_role: str = ""
) -> PartnerOrganization:
    """Take the chosen submitted fields into the partner the application matched (lists are
    added to, other values replaced); with `contact_role`, add the applicant as a contact."""
    application = _require_reviewer(actor, application)
    unknown = set(fields) - set(MERGEABLE_FIELDS)
    if unknown:
        raise ValidationError({"fields": _("Unknown fields: %s") % ", ".join(sorted(unknown))})
    if contact_role and contact_role not in ContactRole.values:
        raise ValidationError({"contact_role": _("Choose a contact role.")})
    partner = PartnerOrganization.objects.select_for_update().get(pk=application.partner_id)
    data = {}
    for field in fields:
        submitted = getattr(application, _SUBMITTED_AS.get(field, field))
        if field in _LIST_FIELDS:
            submitted = [*getattr(partner, field), *submitted]
        data[field] = submitted
    changed = _apply_profile(partner, data) if data else []
    if changed:
        partner.full_clean(exclude=["tenant", "uuid"], validate_unique=False)
        _save_unique(partner)
    if contact_role:
        _add_applicant_contact(application, partner, role=contact_role)
    _decide(actor, application, ApplicationDecision.MERGED)
    audit_record(
        actor=actor,
        action="partner_application.merged",
        target=partner,
        changes={
            "application": str(application.uuid),
            "fields": sorted(changed),
            "contact_role": contact_role,
        },
    )
    if changed:
        _rescore(partner)
    return partner


@transaction.atomic
def application_create_prospect(
    *, actor: Actor, application: Application, name: str, website: str
) -> PartnerOrganization:
    """A held application is a different company after all: it becomes a new prospect in
    "applied" (under the name and website staff give), decided later like any application."""
    application = _require_reviewer(actor, application)
    partner = partner_organization_create(
        actor=actor,
        name=name,
        partner_type=application.partner_types[0] if application.partner_types else "",
        website=website,
        source=PartnerSource.APPLICATION,
        state=S.APPLIED,
        hq_country=application.hq_country,
        regions=application.regions,
        employee_band=application.employee_band,
        partner_types=application.partner_types,
        skills=application.skills,
    )
    matched = application.partner
    application.partner = partner
    application.held_for_review = False
    application.save(update_fields=["partner", "held_for_review"])
    _add_applicant_contact(application, partner, role=ContactRole.PRIMARY)
    audit_record(
        actor=actor,
        action="partner_application.created_as_prospect",
        target=partner,
        changes={"application": str(application.uuid), "matched": str(matched.uuid)},
    )
    return partner


@transaction.atomic
def application_reject(*, actor: Actor, application: Application, reason: str = "") -> None:
    """Decline a held application; the applicant gets the usual decision email."""
    application = _require_reviewer(actor, application)
    _decide(actor, application, ApplicationDecision.REJECTED, (reason or "").strip())
    audit_record(
        actor=actor,
        action="partner_application.rejected",
        target=application.partner,
        changes={"application": str(application.uuid), "reason": application.decision_reason},
    )
    application_decision_email_send(application=application)
