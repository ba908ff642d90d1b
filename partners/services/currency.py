"""Exchange rates into the program currency, and conversion between any two currencies the
tenant has a rate for.

A rate says what 1 unit of a currency is worth in the program currency (ProgramSettings.currency,
which is always 1). Finance keeps them current in the console or through the API (e.g. a daily
job from the ERP). Converting A → B goes through the program currency: amount × rate(A) / rate(B),
rounded to the cent. Without a rate for A or B there is no conversion (None): callers say what
they do then (deal registration: the minimum is not applied, a value-bounded routing rule does
not match, auto-approval does not happen, a won deal is not posted to the ledger).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import SYSTEM, Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.currencies import is_currency

from ..models import ExchangeRate
from .tiers import program_settings

CENT = Decimal("0.01")
RATE_PLACES = Decimal("1e-10")
MAX_RATE = Decimal("1e9")


def exchange_rates(program_currency: str | None = None) -> dict[str, Decimal]:
    """The current tenant's rates by currency, the program currency included (1)."""
    rates = dict(ExchangeRate.objects.values_list("currency", "rate"))
    rates[program_currency or program_settings().currency] = Decimal(1)
    return rates


def convert(
    amount: Decimal | None, source: str, target: str, *, rates: dict[str, Decimal] | None = None
) -> Decimal | None:
    """`amount` in `source` expressed in `target` (to the cent), or None without both rates.
    The same currency needs no rate (and no query)."""
    if amount is None:
        return None
    if source == target:
        return amount
    rates = exchange_rates() if rates is None else rates
    if source not in rates or target not in rates:
        return None
    return (amount * rates[source] / rates[target]).quantize(CENT, rounding=ROUND_HALF_UP)


def _clean(currency: str, rate) -> tuple[str, Decimal]:
    errors: dict[str, str] = {}
    currency = (currency or "").strip().upper()
    if not is_currency(currency):
        errors["currency"] = _("Enter an ISO 4217 currency code such as USD, EUR or GBP.")
    elif currency == program_settings().currency:
        errors["currency"] = _("This is the program currency: it is always worth 1.")
    try:
        value = _stored(Decimal(str(rate).strip().replace(",", ".")))
    except (InvalidOperation, ValueError):
        errors["rate"] = _(
            "Enter how much 1 unit is worth in the program currency: above 0 (ten decimals at "
            "most count), below one billion."
        )
        value = Decimal(0)
    if errors:
        raise ValidationError(errors)
    return currency, value


def _stored(value: Decimal) -> Decimal:
    """The rate as the column keeps it (ten decimals); InvalidOperation when it cannot be one:
    not a number, 0 once rounded, or too large."""
    if not value.is_finite():
        raise InvalidOperation
    value = value.quantize(RATE_PLACES)
    if value <= 0 or value >= MAX_RATE:
        raise InvalidOperation
    return value


@transaction.atomic
def exchange_rate_set(*, actor: Actor, currency: str, rate) -> ExchangeRate:
    """Create or replace the rate of a currency (audited with the old and new value)."""
    if actor is not SYSTEM:
        access.require(actor, Perm.PROGRAM_MANAGE)
    currency, rate = _clean(currency, rate)
    row, created = ExchangeRate.objects.select_for_update().get_or_create(
        currency=currency, defaults={"rate": rate, "updated_by": actor.user}
    )
    old = None if created else row.rate
    if not created and row.rate != rate:
        row.rate = rate
        row.updated_at = timezone.now()
        row.updated_by = actor.user
        row.save(update_fields=["rate", "updated_at", "updated_by"])
    if created or old != rate:
        audit_record(
            actor=actor,
            action="exchange_rate.set",
            target=row,
            changes={"currency": currency, "rate": [str(old) if old else None, str(rate)]},
        )
    return row


@transaction.atomic
def exchange_rate_delete(*, actor: Actor, rate: ExchangeRate) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)
    audit_record(
        actor=actor,
        action="exchange_rate.deleted",
        target=rate,
        changes={"currency": rate.currency, "rate": str(rate.rate)},
    )
    rate.delete()


def rates_rebase(*, actor: Actor, old: str, new: str) -> None:
    """The program currency changes from `old` to `new`: every rate is re-expressed in `new`
    (`old` gets a rate, `new` loses its own). Needs a rate for `new` when there are rates at all;
    called inside the settings update's transaction."""
    rows = list(ExchangeRate.objects.select_for_update())
    if not rows:
        return
    by_currency = {row.currency: row for row in rows}
    pivot = by_currency.get(new)
    if pivot is None:
        raise ValidationError(
            {
                "currency": _(
                    "Add an exchange rate for %(new)s first: the other rates are re-expressed "
                    "in it (or remove them)."
                )
                % {"new": new}
            }
        )
    rebased = {row.currency: row.rate / pivot.rate for row in rows if row is not pivot}
    rebased[old] = Decimal(1) / pivot.rate  # the old program currency: 1 old = 1 / rate(new)
    for currency, value in rebased.items():
        try:
            rebased[currency] = _stored(value)
        except InvalidOperation:
            raise ValidationError(
                {
                    "currency": _(
                        "The rate of %(currency)s cannot be expressed in %(new)s (too small or "
                        "too large for ten decimals): remove it first."
                    )
                    % {"currency": currency, "new": new}
                }
            ) from None
    for row in rows:
        if row is pivot:
            continue
        row.rate = rebased[row.currency]
        row.updated_by = actor.user
        row.updated_at = timezone.now()
        row.save(update_fields=["rate", "updated_by", "updated_at"])
    pivot.currency = old
    pivot.rate = rebased[old]
    pivot.updated_by = actor.user
    pivot.updated_at = timezone.now()
    pivot.save(update_fields=["currency", "rate", "updated_by", "updated_at"])
