"""Saving the tenant's public deal-registration rules (program managers)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from partners.models import Region
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.currencies import currency_normalize

from ..models import DealRules
from .registration import FIELDS
from .rules import amount_message, rule_amount

EDITABLE = (
    "required_fields",
    "min_value",
    "min_value_currency",
    "close_date_max_months",
    "country_regions",
    "lifetime_days",
    "max_extensions",
    "extension_days",
    "expiry_warning_days",
    "auto_approve",
    "auto_approve_max_value",
    "auto_approve_tiers",
    "sla_hours",
    "sla_reminder_hours",
    "business_timezone",
    "business_day_start",
    "business_day_end",
    "business_weekdays",
    "holiday_country",
)
# The bounds of each number, with what it counts: a value outside is a field error saying so in
# business terms (never the column's 32767 or 10^14).
LIMITS: dict[str, tuple[int, int, Any]] = {
    "close_date_max_months": (1, 120, gettext_lazy("months")),
    "lifetime_days": (1, 3650, gettext_lazy("days")),
    "max_extensions": (0, 20, gettext_lazy("extensions")),
    "extension_days": (1, 365, gettext_lazy("days")),
    "expiry_warning_days": (0, 365, gettext_lazy("days")),
    "sla_hours": (1, 2000, gettext_lazy("business hours")),
    "sla_reminder_hours": (0, 2000, gettext_lazy("business hours")),
    "business_day_start": (0, 23, gettext_lazy("o'clock")),
    "business_day_end": (1, 24, gettext_lazy("o'clock")),
}
AMOUNTS = ("min_value", "auto_approve_max_value")


def limit_message(name: str) -> str:
    low, high, unit = LIMITS[name]
    return _("Enter a whole number from %(low)s to %(high)s %(unit)s.") % {
        "low": number_format(low, force_grouping=True),
        "high": number_format(high, force_grouping=True),
        "unit": unit,
    }


def _check_numbers(data: dict[str, Any], errors: dict[str, str]) -> None:
    for name, (low, high, _unit) in LIMITS.items():
        if name not in data:
            continue
        value = data[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            errors[name] = limit_message(name)
            data.pop(name)
    for name in AMOUNTS:
        if name not in data or data[name] is None:
            continue
        value = rule_amount(data[name])
        if value is None:
            errors[name] = amount_message()
            data.pop(name)
        else:
            data[name] = value


# Fields a tenant may make required on top of the always-required ones.
OPTIONAL_FIELDS = tuple(
    f
    for f in FIELDS
    if f not in ("customer_name", "estimated_value", "currency", "expected_close_date")
)


@transaction.atomic
def deal_rules_save(*, actor: Actor, **data: Any) -> DealRules:
    """Create or update this tenant's rules row (audited with what changed)."""
    from tenancy.context import require_current_tenant

    access.require(actor, Perm.PROGRAM_MANAGE)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    tenant = require_current_tenant()
    rules = DealRules.objects.select_for_update().filter(tenant=tenant).first()
    rules = rules or DealRules(tenant=tenant)
    errors: dict[str, str] = {}
    required = list(dict.fromkeys(data.get("required_fields", rules.required_fields) or []))
    if any(name not in OPTIONAL_FIELDS for name in required):
        errors["required_fields"] = _("Choose fields from the registration form.")
    data["required_fields"] = required
    if "min_value_currency" in data:
        try:
            data["min_value_currency"] = currency_normalize(data["min_value_currency"])
        except ValidationError as error:
            errors["min_value_currency"] = error.messages[0]
            data.pop("min_value_currency")
    if "country_regions" in data:
        overrides = data["country_regions"] or {}
        if not isinstance(overrides, dict) or any(
            str(c).upper() not in countries or r not in Region.values for c, r in overrides.items()
        ):
            errors["country_regions"] = _(
                "Give each exception as a country code and a region, e.g. PK: EMEA."
            )
            data.pop("country_regions")
        else:
            data["country_regions"] = {str(c).upper(): r for c, r in sorted(overrides.items())}
    if "holiday_country" in data:
        data["holiday_country"] = str(data["holiday_country"] or "").strip().upper()
        if data["holiday_country"] and data["holiday_country"] not in countries:
            errors["holiday_country"] = _("Enter a country code such as US or DE, or leave empty.")
            data.pop("holiday_country")
    if "business_timezone" in data:
        zone = str(data["business_timezone"] or "").strip()
        if zone not in available_timezones():
            errors["business_timezone"] = _("Enter a time zone such as Europe/Berlin or UTC.")
            data.pop("business_timezone")
        else:
            data["business_timezone"] = zone
    _check_numbers(data, errors)
    before = {name: getattr(rules, name) for name in EDITABLE}
    for name, value in data.items():
        setattr(rules, name, value)
    if rules.business_day_start >= rules.business_day_end:
        errors["business_day_end"] = _("The working day must end after it starts.")
    if rules.sla_reminder_hours >= rules.sla_hours:
        errors["sla_reminder_hours"] = _("Remind before the SLA is due, not after.")
    if errors:
        raise ValidationError(errors)
    rules.full_clean(exclude=["tenant", "uuid"], validate_unique=False)
    rules.save()
    changes = {
        name: [str(before[name]), str(getattr(rules, name))]
        for name in EDITABLE
        if before[name] != getattr(rules, name)
    }
    audit_record(actor=actor, action="deal_rules.saved", target=rules, changes=changes)
    return rules
