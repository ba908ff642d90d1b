"""Business limits of enablement's numbers and dates, and the words people see when they pass one.

Services check every write against these (forms and the API alike); forms call the same checks in
their `clean_<field>` so the message sits beside the field before any database-range message
("less than or equal to 32767") could appear.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

COURSE_HOURS_MAX = Decimal(500)
MODULE_MINUTES_MAX = 600  # ten hours of one module
SESSION_CAPACITY_MAX = 10_000
SESSION_HOURS_MAX = 24
SESSION_DAYS_BACK = 365  # past sessions are entered to record attendance, up to a year back
SESSION_DAYS_AHEAD = 2 * 365
QUIZ_ATTEMPTS_MAX = 20
POSITION_MAX = 1_000


def _n(value) -> str:
    return number_format(value, use_l10n=True, force_grouping=True)


def course_hours_error(value) -> str | None:
    try:
        hours = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return _("Enter the estimated hours as a number, e.g. 1.5.")
    if hours <= 0:
        return _("Enter more than 0 hours.")
    if hours > COURSE_HOURS_MAX:
        return _("Enter at most %(max)s hours.") % {"max": _n(COURSE_HOURS_MAX)}
    if hours != hours.quantize(Decimal("0.1")):
        return _("Enter the hours with at most one decimal, e.g. 1.5.")
    return None


def whole_number_error(value, *, low: int, high: int, too_low: str, too_high: str) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return _("Enter a whole number.")
    if value < low:
        return too_low
    if value > high:
        return too_high
    return None


def module_minutes_error(value) -> str | None:
    return whole_number_error(
        value,
        low=1,
        high=MODULE_MINUTES_MAX,
        too_low=_("A module takes at least 1 minute."),
        too_high=_("Enter at most %(max)s minutes.") % {"max": _n(MODULE_MINUTES_MAX)},
    )


def session_capacity_error(value) -> str | None:
    return whole_number_error(
        value,
        low=1,
        high=SESSION_CAPACITY_MAX,
        too_low=_("A session has at least 1 seat."),
        too_high=_("Enter at most %(max)s seats.") % {"max": _n(SESSION_CAPACITY_MAX)},
    )


def quiz_attempts_error(value) -> str | None:
    return whole_number_error(
        value,
        low=1,
        high=QUIZ_ATTEMPTS_MAX,
        too_low=_("Allow at least 1 attempt."),
        too_high=_("Allow at most %(max)s attempts.") % {"max": _n(QUIZ_ATTEMPTS_MAX)},
    )


def pass_mark_error(value) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return _("Enter a whole number.")
    if not 0 <= value <= 100:
        return _("Enter a pass mark between 0% and 100%.")
    return None


def position_error(value) -> str | None:
    if value is None or isinstance(value, bool) or not isinstance(value, int):
        return _("Enter a whole number.")
    if not 0 <= value <= POSITION_MAX:
        return _("Choose a position between 0 and %(max)s.") % {"max": _n(POSITION_MAX)}
    return None


def session_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    now = now or timezone.now()
    return now - timedelta(days=SESSION_DAYS_BACK), now + timedelta(days=SESSION_DAYS_AHEAD)


def session_time_errors(
    starts_at: datetime | None, ends_at: datetime | None, *, now: datetime | None = None
) -> dict[str, str]:
    """A session starts within a year back (attendance is recorded afterwards) and two years
    ahead, ends after it starts and lasts at most a day."""
    errors: dict[str, str] = {}
    earliest, latest = session_window(now)
    if starts_at is not None and not earliest <= starts_at <= latest:
        errors["starts_at"] = _(
            "Choose a start between %(earliest)s and %(latest)s: at most a year ago (to record "
            "attendance) and at most two years ahead."
        ) % {
            "earliest": date_format(timezone.localtime(earliest), "DATE_FORMAT"),
            "latest": date_format(timezone.localtime(latest), "DATE_FORMAT"),
        }
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            errors["ends_at"] = _("The session must end after it starts.")
        elif ends_at - starts_at > timedelta(hours=SESSION_HOURS_MAX):
            errors["ends_at"] = _("A session lasts at most %(max)s hours.") % {
                "max": _n(SESSION_HOURS_MAX)
            }
    return errors
