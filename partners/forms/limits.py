"""Number inputs of the partners area with limits in business terms.

A number input without a stated limit answers big input with the database column's range
("Ensure this value is less than or equal to 9223372036854775807") or its digit count. Every number
field of the area's forms and API serializers gets a range that makes sense for what it counts and
one human message for both ends and for too many digits::

    limit(form.fields["min_certified_people"], 0, 10_000, PEOPLE_MESSAGE)       # a form field
    amount = serializers.DecimalField(..., **api_limit(0, MONEY_MAX, MONEY_MESSAGE))  # the API
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

# Money: fits the area's amount columns (14 digits, 2 decimals).
MONEY_MAX = Decimal("999999999999.99")
MONEY_MESSAGE = _("Enter an amount from 0 to 999,999,999,999.99.")
DECIMALS_MESSAGE = _("Enter at most two decimals.")
PERCENT_MESSAGE = _("Enter a percentage from 0 to 100.")
PEOPLE_MAX = 100_000
PEOPLE_MESSAGE = _("Enter a number of people from 0 to 100,000.")
PARTNERS_MAX = 1_000_000
PARTNERS_MESSAGE = _("Enter a number of partners from 0 to 1,000,000.")
GRACE_DAYS_MAX = 730
GRACE_DAYS_MESSAGE = _("Enter a grace period from 0 to 730 days (two years).")
WINDOW_MONTHS_MESSAGE = _("Choose a window between 1 and 36 months.")
CERTIFIED_PEOPLE_MAX = 10_000
CERTIFIED_PEOPLE_MESSAGE = _("Enter a number of certified people from 0 to 10,000.")
NUMBER_MESSAGE = _("Enter a number from 0 to 999,999,999,999.99.")
RANK_MESSAGE = _("Choose a rank from 1 to 3.")
REVENUE_MESSAGE = _("Enter an amount from 0.01 to 999,999,999,999.99.")
WEIGHT_MESSAGE = _("Enter a weight from 1 to 100.")
SCORE_MESSAGE = _("Enter a score from 0 to 100.")

_RANGE_CODES = ("min_value", "max_value", "max_digits", "max_whole_digits")


def limit(field: forms.Field, low, high, message) -> forms.Field:
    """Give a form's number field the range [low, high] and `message` for any input outside it
    (including too many digits); decimals keep their own "at most N decimals" message."""
    field.min_value, field.max_value = low, high
    places = getattr(field, "decimal_places", None)
    replaced = (validators.MinValueValidator, validators.MaxValueValidator)
    replaced += (validators.DecimalValidator,)
    kept = [v for v in field.validators if not isinstance(v, replaced)]
    if places is not None:
        # Digits are checked by the range; only the decimals are checked here.
        kept.append(validators.DecimalValidator(None, places))
    field.validators = [
        *kept,
        validators.MinValueValidator(low, message=message),
        validators.MaxValueValidator(high, message=message),
    ]
    for code in _RANGE_CODES:
        field.error_messages[code] = message
    if places is not None:
        field.error_messages["max_decimal_places"] = DECIMALS_MESSAGE
    field.widget.attrs.update(min=str(low), max=str(high))
    return field


def api_limit(low, high, message) -> dict[str, Any]:
    """Keyword arguments for a DRF number field: the same range and message as `limit`."""
    return {
        "min_value": low,
        "max_value": high,
        "error_messages": {
            **dict.fromkeys(_RANGE_CODES, message),
            "max_decimal_places": DECIMALS_MESSAGE,
        },
    }
