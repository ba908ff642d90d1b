"""Deal registration writes. The onboarding issue brings registration itself, gated by the
onboarding benefit gate; rules, conflicts, approvals and locks come with the deal-registration
issue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_countries import countries

from onboarding.models import Benefit, MilestoneKey
from onboarding.services.progress import milestone_reach, require_benefit
from partners.models import LifecycleState, PartnerOrganization, Region
from partners.services.currency import convert
from tenancy import access
from tenancy.access import SYSTEM, Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.currencies import currency_normalize
from tenancy.common.domains import is_valid_domain, normalize_domain
from tenancy.context import require_current_tenant

from ..models import DealRegistration, DealRules, DealStatus
from .accounts import account_find_or_create
from .conflicts import detect_conflicts
from .direct import direct_owner_notify
from .transitions import event_record, transition

# Partners in these states may register deals (prospects, applicants, suspended and retired
# partners may not).
REGISTERING_STATES = (LifecycleState.APPROVED, LifecycleState.CONTRACTED, LifecycleState.ACTIVE)
FIELDS = (
    "customer_name",
    "customer_domain",
    "customer_country",
    "region",
    "contact_name",
    "contact_email",
    "products",
    "estimated_value",
    "currency",
    "expected_close_date",
    "partner_notes",
)
# Estimated values are below a trillion (the column holds 12 digits before the cents).
MAX_VALUE = Decimal("1e12")
MAX_PRODUCTS = 50


def _clean(data: dict[str, Any], rules: DealRules) -> dict[str, Any]:
    """Validate and normalise the registration's fields; ValidationError per field. The rules
    say how far ahead the close date may lie and which region a country belongs to."""
    unknown = set(data) - set(FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    for name in ("customer_name", "contact_name", "partner_notes"):
        cleaned[name] = str(data.get(name) or "").strip()
    if not cleaned["customer_name"]:
        errors["customer_name"] = _("Name the customer account.")
    elif len(cleaned["customer_name"]) > 200:
        errors["customer_name"] = _("Keep the customer name under 200 characters.")

    domain = normalize_domain(str(data.get("customer_domain") or ""))
    if domain and not is_valid_domain(domain):
        errors["customer_domain"] = _("Enter a valid domain such as example.com.")
    cleaned["customer_domain"] = domain

    country = str(data.get("customer_country") or "").strip().upper()
    if country and country not in countries:
        errors["customer_country"] = _("Choose a country from the list.")
        country = ""
    cleaned["customer_country"] = country
    region = str(data.get("region") or "").strip()
    if region and region not in Region.values:
        errors["region"] = _("Choose a region from the list.")
    elif country and (country_region := rules.region_of(country)):
        # The region follows from the country: derived when left empty, refused when it disagrees.
        if region and region != country_region:
            errors["region"] = _(
                "%(country)s is in %(region)s under the program's rules: choose %(region)s or "
                "leave the region empty."
            ) % {"country": countries.name(country), "region": Region(country_region).label}
        region = country_region
    cleaned["region"] = region

    email = str(data.get("contact_email") or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["contact_email"] = _("Enter a valid email address.")
    cleaned["contact_email"] = email.lower()

    products = data.get("products") or []
    if isinstance(products, str):
        products = products.split(",")
    if not isinstance(products, list | tuple) or not all(isinstance(p, str) for p in products):
        errors["products"] = _("List the products as strings.")
        products = []
    seen: dict[str, str] = {}
    for product in products:
        if item := " ".join(product.split())[:120]:
            seen.setdefault(item.casefold(), item)
    if len(seen) > MAX_PRODUCTS:
        errors["products"] = _("List at most %(n)s products.") % {"n": MAX_PRODUCTS}
    cleaned["products"] = list(seen.values())

    value = data.get("estimated_value")
    try:
        value = Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        errors["estimated_value"] = _("Enter the estimated deal value.")
    elif value <= 0:
        errors["estimated_value"] = _("The estimated value must be more than zero.")
    elif value >= MAX_VALUE:
        errors["estimated_value"] = _("Enter an amount below %(max)s.") % {
            "max": number_format(MAX_VALUE, force_grouping=True)
        }
    elif value.as_tuple().exponent < -2:
        errors["estimated_value"] = _("Enter the amount with at most two decimals (cents).")
    cleaned["estimated_value"] = value

    try:
        cleaned["currency"] = currency_normalize(data.get("currency") or "USD")
    except ValidationError as error:
        errors["currency"] = error.messages[0]
        cleaned["currency"] = str(data.get("currency") or "")

    close = data.get("expected_close_date")
    if isinstance(close, str):
        try:
            close = date.fromisoformat(close)
        except ValueError:
            close = None
    today = timezone.localdate()
    if not isinstance(close, date):
        errors["expected_close_date"] = _("Enter the expected close date.")
    elif close < today:
        errors["expected_close_date"] = _("The expected close date cannot be in the past.")
    elif close > (latest := rules.latest_close_date(today)):
        errors["expected_close_date"] = ngettext(
            "Enter a date within %(months)s month, by %(date)s (the registration rules).",
            "Enter a date within %(months)s months, by %(date)s (the registration rules).",
            rules.close_date_max_months,
        ) % {"months": rules.close_date_max_months, "date": date_format(latest)}
    cleaned["expected_close_date"] = close

    if errors:
        raise ValidationError(errors)
    return cleaned


def _apply_rules(cleaned: dict[str, Any], rules: DealRules) -> None:
    """The tenant's public rules: fields it also requires, and its minimum value (a value in
    another currency is converted with the program's exchange rates; without a rate for it the
    minimum cannot be compared and is not applied)."""
    errors: dict[str, str] = {}
    for name in rules.required_fields or []:
        if name in FIELDS and not cleaned.get(name):
            errors[name] = _("The program's registration rules require this field.")
    value = cleaned.get("estimated_value")
    currency = cleaned.get("currency") or ""
    if rules.min_value and value is not None and currency:
        compared = convert(value, currency, rules.min_value_currency)
        if compared is not None and compared < rules.min_value:
            message = _(
                "The program registers deals from %(min)s %(currency)s (the registration rules)."
            ) % {"min": rules.min_value, "currency": rules.min_value_currency}
            if currency != rules.min_value_currency:
                message += " " + _("This deal is %(value)s %(currency)s at today's rate.") % {
                    "value": compared,
                    "currency": rules.min_value_currency,
                }
            errors["estimated_value"] = message
    if errors:
        raise ValidationError(errors)


def _rules() -> DealRules:
    from .rules import deal_rules

    return deal_rules()


def _registering_partner(actor: Actor) -> PartnerOrganization:
    access.require(actor, Perm.DEALS_REGISTER)
    require_benefit(actor, Benefit.DEAL_REGISTRATION)
    if actor.partner_organization_id is None:
        raise PermissionDenied(_("Only partner users register deals."))
    # No row lock: registrations of one partner do not queue behind each other. (Inserting a
    # registration takes a key-share lock on the partner row anyway, so it cannot vanish.)
    partner = PartnerOrganization.objects.select_related("channel_manager").get(
        pk=actor.partner_organization_id
    )
    if partner.state not in REGISTERING_STATES:
        raise PermissionDenied(
            _("Your organisation cannot register deals while it is %(state)s.")
            % {"state": partner.get_state_display().lower()}
        )
    return partner


def _auto_approvable(deal: DealRegistration, rules: DealRules) -> bool:
    if not rules.auto_approve or deal.conflicts:
        return False
    if rules.auto_approve_max_value is not None:
        # The cap is in the rules' currency; a deal in a currency without a rate is not capped
        # safely, so a person decides.
        value = convert(deal.estimated_value, deal.currency, rules.min_value_currency)
        if value is None or value > rules.auto_approve_max_value:
            return False
    tiers = {str(t) for t in rules.auto_approve_tiers or []}
    if tiers:
        tier = deal.partner.tier
        if tier is None or not ({str(tier.pk), str(tier.uuid)} & tiers):
            return False
    return True


def _prepare_submission(deal: DealRegistration, rules: DealRules) -> None:
    """A registration being submitted gets its account (found or created), its conflicts, its
    approver and its SLA due time. Sets the fields; the caller saves them."""
    from .routing import route
    from .sla import sla_due_at

    deal.account, created = account_find_or_create(
        name=deal.customer_name,
        domain=deal.customer_domain,
        country=str(deal.customer_country or ""),
        region=deal.region,
    )
    deal.conflicts = detect_conflicts(deal, new_account=created)
    deal.conflicts_checked_at = timezone.now()
    deal.assigned_to, deal.routing_rule = route(deal)
    deal.sla_due_at = sla_due_at(deal.submitted_at, rules)


SUBMISSION_FIELDS = (
    "account",
    "conflicts",
    "conflicts_checked_at",
    "assigned_to",
    "routing_rule",
    "sla_due_at",
)


def _submitted(*, actor: Actor, deal: DealRegistration, rules: DealRules) -> DealRegistration:
    """After the submission is saved: the milestone, and auto-approval when the rules allow it
    and nothing conflicts."""
    milestone_reach(partner=deal.partner, key=MilestoneKey.FIRST_DEAL, at=deal.submitted_at)
    if _auto_approvable(deal, rules):
        from .decisions import approve_locked

        try:
            with transaction.atomic():
                approve_locked(
                    actor=SYSTEM,
                    deal=deal,
                    reason=_("Approved automatically under the registration rules."),
                    auto=True,
                )
        except ValidationError:
            deal.refresh_from_db()  # stays submitted: an approver decides
    if deal.status != DealStatus.APPROVED:  # approved at once: the lock notice says it all
        direct_owner_notify(deal=deal, event="registered")
    return deal


@transaction.atomic
def deal_register(*, actor: Actor, draft: bool = False, **data: Any) -> DealRegistration:
    """Register a deal for the actor's organisation: submitted at once (audited; the account found
    or created, conflicts detected, routed, the SLA clock started, maybe auto-approved) and the
    organisation's "first deal registered" milestone. With `draft=True` it is only saved as a
    draft (no rules, no routing) until `deal_submit`. Refused with BenefitLocked (403 with what
    is missing) until the onboarding steps the deal-registration benefit needs are done."""
    partner = _registering_partner(actor)
    rules = _rules()
    cleaned = _clean(data, rules)
    if not draft:
        _apply_rules(cleaned, rules)
    now = timezone.now()
    deal = DealRegistration(
        tenant=require_current_tenant(),
        partner=partner,
        submitted_by=actor.user,
        status=DealStatus.DRAFT if draft else DealStatus.SUBMITTED,
        created_at=now,
        submitted_at=None if draft else now,
        **cleaned,
    )
    deal.full_clean(exclude=["tenant", "uuid", "partner", "submitted_by"], validate_unique=False)
    if not draft:
        _prepare_submission(deal, rules)  # before the INSERT: one write, not an insert + update
    deal.save()
    audit_record(
        actor=actor,
        action="deal.drafted" if draft else "deal.registered",
        target=deal,
        changes={
            "customer": deal.customer_name,
            "estimated_value": f"{deal.estimated_value} {deal.currency}",
        },
    )
    event_record(
        registration=deal,
        action="drafted" if draft else "submitted",
        actor=actor,
        to_status=deal.status,
    )
    if draft:
        return deal
    return _submitted(actor=actor, deal=deal, rules=rules)


@transaction.atomic
def deal_submit(*, actor: Actor, registration: DealRegistration) -> DealRegistration:
    """Submit a draft of the actor's organisation: the rules apply now, then as `deal_register`."""
    partner = _registering_partner(actor)
    deal = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    if deal.partner_id != partner.pk:
        raise PermissionDenied(_("This registration belongs to another organisation."))
    if deal.status != DealStatus.DRAFT:
        raise ValidationError({"status": _("Only a draft can be submitted.")})
    rules = _rules()
    _apply_rules({name: getattr(deal, name) for name in FIELDS}, rules)
    deal.partner = partner
    deal.submitted_at = timezone.now()
    transition(
        registration=deal,
        to_status=DealStatus.SUBMITTED,
        actor=actor,
        action="submitted",
        update_fields=("submitted_at",),
    )
    _prepare_submission(deal, rules)
    deal.save(update_fields=SUBMISSION_FIELDS)
    return _submitted(actor=actor, deal=deal, rules=rules)
