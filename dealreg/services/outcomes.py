"""Won / lost: the partner (their own organisation's registration) or a manager in scope closes an
approved registration. A won deal posts sourced revenue to the partner's ledger, once."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from partners.models import RevenueKind
from partners.selectors.tiers import revenue_posted
from partners.services.currency import convert
from partners.services.revenue import MAX_AMOUNT, revenue_record_create
from partners.services.tiers import program_settings
from tenancy import access
from tenancy.access import SYSTEM, Actor, Perm

from ..models import DealRegistration, DealStatus
from .registration import MAX_VALUE
from .transitions import event_record, transition

REVENUE_SOURCE = "dealreg"
OUTCOMES = (DealStatus.WON, DealStatus.LOST)


def may_close(actor: Actor, registration: DealRegistration) -> bool:
    """The registering partner's users, or a manager whose scope includes the partner."""
    if actor.is_partner:
        return (
            actor.has(Perm.DEALS_REGISTER)
            and registration.partner_id == actor.partner_organization_id
        )
    if not actor.has(Perm.DEALS_DECIDE):
        return False
    return access.scope_partner_owned(
        actor, DealRegistration.objects.filter(pk=registration.pk)
    ).exists()


def may_edit_pipeline(actor: Actor, registration: DealRegistration) -> bool:
    return not actor.is_partner and may_close(actor, registration)


def revenue_ref(registration: DealRegistration) -> str:
    return f"deal:{registration.uuid}"


@transaction.atomic
def deal_outcome(
    *,
    actor: Actor,
    registration: DealRegistration,
    outcome: str,
    value: Decimal | str | None = None,
    reason: str = "",
) -> DealRegistration:
    """Mark an approved registration won (at `value`, default its estimate; posts sourced
    revenue `deal:<uuid>` booked today, in the program currency: converted with the exchange
    rates, not posted when the deal's currency has none) or lost (a `reason` is required)."""
    if not may_close(actor, registration):
        raise PermissionDenied(_("You may not close this registration."))
    if outcome not in OUTCOMES:
        raise ValidationError({"outcome": _("Choose won or lost.")})
    registration = (
        DealRegistration.objects.select_for_update()
        .select_related("partner")
        .get(pk=registration.pk)
    )
    if registration.status != DealStatus.APPROVED:
        raise ValidationError(_("Only an approved registration can be marked won or lost."))
    reason = (reason or "").strip()
    if outcome == DealStatus.LOST:
        if not reason:
            raise ValidationError({"reason": _("Say why the deal was lost.")})
        return transition(registration=registration, to_status=outcome, actor=actor, note=reason)

    estimate = registration.estimated_value
    try:
        final = Decimal(str(value)) if value not in (None, "") else estimate
    except InvalidOperation:
        final = None
    if final is None or not final.is_finite() or final <= 0:
        raise ValidationError({"value": _("Enter the final deal value (more than zero).")})
    if final >= MAX_VALUE:
        raise ValidationError(
            {
                "value": _("Enter an amount below %(max)s.")
                % {"max": number_format(MAX_VALUE, force_grouping=True)}
            }
        )
    final = final.quantize(Decimal("0.01"))
    # NOTE: the won value replaces the estimate (reports sum it); the estimate stays in the note.
    registration.estimated_value = final
    note = _("Won at %(final)s %(currency)s (estimated %(estimate)s).") % {
        "final": final,
        "currency": registration.currency,
        "estimate": estimate,
    }
    if reason:
        note = f"{note} {reason}"
    transition(
        registration=registration,
        to_status=DealStatus.WON,
        actor=actor,
        note=note,
        update_fields=("estimated_value",),
    )
    _post_revenue(actor=actor, registration=registration)
    return registration


def _post_revenue(*, actor: Actor, registration: DealRegistration) -> None:
    ref = revenue_ref(registration)
    if revenue_posted(source=REVENUE_SOURCE, external_ref=ref):
        return
    program_currency = program_settings().currency
    amount = convert(registration.estimated_value, registration.currency, program_currency)
    if amount is not None and not Decimal("0") < amount < MAX_AMOUNT:
        amount = None  # rounds to nothing, or beyond what the ledger holds: someone checks it
    if amount is None:
        # The ledger is in the program currency and there is no rate for the deal's.
        event_record(
            registration=registration,
            action="revenue_not_posted",
            actor=actor,
            note=_(
                "Not posted to the revenue ledger: the deal is in %(deal)s, the ledger in "
                "%(program)s, and there is no usable exchange rate for %(deal)s. Add one and "
                "post it by hand."
            )
            % {"deal": registration.currency, "program": program_currency},
        )
        return
    if registration.currency != program_currency:
        event_record(
            registration=registration,
            action="revenue_converted",
            actor=actor,
            note=_("Posted as %(amount)s %(program)s (%(value)s %(deal)s at today's rate).")
            % {
                "amount": amount,
                "program": program_currency,
                "value": registration.estimated_value,
                "deal": registration.currency,
            },
        )
    products = registration.products or []
    revenue_record_create(
        actor=SYSTEM,
        partner=registration.partner,
        kind=RevenueKind.SOURCED,
        customer=registration.customer_name,
        amount=amount,
        currency=program_currency,
        booked_on=timezone.localdate(),
        product=str(products[0])[:200] if products else "",
        source=REVENUE_SOURCE,
        external_ref=ref,
    )
