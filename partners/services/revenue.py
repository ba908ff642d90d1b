"""The revenue ledger: writes. Staff record partner revenue by hand; later areas (deal
registration, CRM sync, imports) call `revenue_record_create` with their own `source` and an
`external_ref` so a record is never posted twice.

Every amount is in the program currency (ProgramSettings.currency): tier requirements sum the
ledger, and a sum over mixed currencies would be meaningless. Convert before posting.
Both kinds, sourced and influenced, count toward a partner's trailing revenue.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import SYSTEM, Actor
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant

from ..models import PartnerOrganization, RevenueKind, RevenueRecord
from ..selectors.tiers import revenue_posted
from .tiers import program_settings

MAX_AMOUNT = Decimal("1e12")  # the ledger column holds 12 digits before the point


@transaction.atomic
def revenue_record_create(
    *,
    actor: Actor,
    partner: PartnerOrganization,
    kind: str,
    customer: str,
    amount: Decimal,
    currency: str,
    booked_on: date,
    product: str = "",
    source: str = "manual",
    external_ref: str = "",
) -> RevenueRecord:
    """Record partner revenue. `actor` may be SYSTEM for integrations (deal registration)."""
    if actor is not SYSTEM and not access.may_manage_partner(actor, partner):
        raise PermissionDenied(_("You may not record revenue for this partner."))
    errors: dict[str, str] = {}
    settings = program_settings()
    currency = (currency or "").strip().upper()
    if currency != settings.currency:
        errors["currency"] = _(
            "The program keeps its ledger in %(program)s; convert the amount from %(given)s "
            "to %(program)s first."
        ) % {"program": settings.currency, "given": currency or "—"}
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        errors["amount"] = _("Enter an amount.")
    else:
        if not amount.is_finite() or amount <= 0:
            errors["amount"] = _("The amount must be greater than zero.")
        elif amount >= MAX_AMOUNT:
            errors["amount"] = _("The amount must be below one trillion.")
    if kind not in RevenueKind.values:
        errors["kind"] = _("Choose sourced or influenced.")
    if not (customer or "").strip():
        errors["customer"] = _("Name the customer.")
    if booked_on and booked_on > timezone.localdate():
        errors["booked_on"] = _("Revenue cannot be booked in the future.")
    external_ref = (external_ref or "").strip()
    if external_ref and revenue_posted(source=source, external_ref=external_ref):
        errors["external_ref"] = _("This %(source)s reference is already in the ledger.") % {
            "source": source
        }
    if errors:
        raise ValidationError(errors)
    record = RevenueRecord(
        tenant=require_current_tenant(),
        partner=partner,
        kind=kind,
        customer=customer.strip(),
        product=(product or "").strip(),
        amount=amount,
        currency=currency,
        booked_on=booked_on,
        source=source,
        external_ref=external_ref,
        created_by=actor.user,
    )
    record.full_clean(exclude=["tenant"])
    record.save()
    audit_record(
        actor=actor,
        action="revenue.recorded",
        target=record,
        changes={
            "partner": partner.name,
            "kind": kind,
            "amount": str(amount),
            "currency": currency,
            "booked_on": booked_on.isoformat(),
            "source": source,
        },
    )
    return record
