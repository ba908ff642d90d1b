"""The tenant's deal-registration rules: its saved row, or the defaults until one is saved."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from tenancy.context import require_current_tenant

from ..models import DealRules


def deal_rules() -> DealRules:
    """This tenant's DealRules row, or an unsaved one carrying the model defaults."""
    tenant = require_current_tenant()
    rules = DealRules.objects.filter(tenant=tenant).first()
    return rules if rules is not None else DealRules(tenant=tenant)


# Amounts in the rules (minimum, auto-approval cap, routing bounds) are below a trillion with
# cents: what the columns hold, said in business terms.
MAX_AMOUNT = Decimal("1e12")


def rule_amount(raw) -> Decimal | None:
    """A rule's amount as a Decimal, or None when it is not one a rule may hold (0 to below
    MAX_AMOUNT, at most two decimals): the caller then says amount_message()."""
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0 or value >= MAX_AMOUNT or value.as_tuple().exponent < -2:
        return None
    return value


def amount_message() -> str:
    return _("Enter an amount from 0 to below %(max)s, with at most two decimals.") % {
        "max": number_format(MAX_AMOUNT, force_grouping=True)
    }
