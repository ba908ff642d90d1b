"""The approval SLA, counted in business hours of the tenant's working calendar.

The calendar comes from DealRules: a timezone, working hours (start–end, whole hours, local wall
clock), working weekdays (empty = Monday–Friday) and the public holidays of one country (the
`holidays` package). All datetimes in and out are timezone-aware; results are in UTC.

NOTE: arithmetic runs on the local wall clock, so a working day is always end − start hours even
on a DST switch day (the switch happens at night, outside working hours, in every timezone we
know of).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_lib
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy.access import SYSTEM
from tenancy.audit import audit_record_many

from ..models import DealRegistration, DealRules, SlaState
from ..models.registrations import PENDING_STATUSES
from .batches import approvers_attach, locked_batches, partners_attach
from .rules import deal_rules
from .transitions import events_record_many, when_text_memo

DEFAULT_WEEKDAYS = frozenset({0, 1, 2, 3, 4})
# A calendar with (almost) no working days must not loop forever: give up after ten years.
MAX_DAYS = 3660


@functools.lru_cache(maxsize=64)
def _country_holidays(country: str):
    try:
        return holidays_lib.country_holidays(country)
    except NotImplementedError:  # an unknown country code: no holidays rather than a crash
        return None


@dataclass(frozen=True)
class Calendar:
    tz: ZoneInfo
    start_hour: int
    end_hour: int
    weekdays: frozenset[int]
    country: str

    @classmethod
    def of(cls, rules: DealRules) -> Calendar:
        try:
            tz = ZoneInfo(rules.business_timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        start, end = int(rules.business_day_start), int(rules.business_day_end)
        if not (0 <= start < end <= 24):  # a nonsensical window counts the whole day
            start, end = 0, 24
        weekdays = frozenset(d for d in (rules.business_weekdays or []) if d in range(7))
        return cls(tz, start, end, weekdays or DEFAULT_WEEKDAYS, (rules.holiday_country or ""))

    def is_working_day(self, day: date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        if self.country:
            country_holidays = _country_holidays(self.country.upper())
            if country_holidays is not None and day in country_holidays:
                return False
        return True

    # Local wall-clock times are naive datetimes below; only the edges convert.
    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz).replace(tzinfo=None)

    def utc(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.tz).astimezone(UTC)

    def opening(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(hours=self.start_hour)

    def closing(self, day: date) -> datetime:
        return datetime.combine(day, datetime.min.time()) + timedelta(hours=self.end_hour)


def _forward(cal: Calendar, cursor: datetime, remaining: timedelta) -> datetime:
    day = cursor.date()
    for _step in range(MAX_DAYS):
        if cal.is_working_day(day):
            opening, closing = cal.opening(day), cal.closing(day)
            cursor = max(cursor, opening)
            if cursor < closing:
                available = closing - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, datetime.min.time())
    raise ValueError("The business calendar has no working hours.")


def _backward(cal: Calendar, cursor: datetime, remaining: timedelta) -> datetime:
    day = cursor.date()
    for _step in range(MAX_DAYS):
        if cal.is_working_day(day):
            opening, closing = cal.opening(day), cal.closing(day)
            cursor = min(cursor, closing)
            if cursor > opening:
                available = cursor - opening
                if remaining <= available:
                    return cursor - remaining
                remaining -= available
        day -= timedelta(days=1)
        cursor = datetime.combine(day, datetime.max.time())
    raise ValueError("The business calendar has no working hours.")


def add_business_hours(start: datetime, hours: float, rules: DealRules) -> datetime:
    """`start` plus `hours` working hours (negative: minus). A start outside working hours
    counts from the next opening (for a subtraction: from the previous closing)."""
    cal = Calendar.of(rules)
    cursor = cal.local(start)
    if hours >= 0:
        return cal.utc(_forward(cal, cursor, timedelta(hours=hours)))
    return cal.utc(_backward(cal, cursor, timedelta(hours=-hours)))


def business_hours_between(a: datetime, b: datetime, rules: DealRules) -> float:
    """Working hours from `a` to `b` (negative when `b` is earlier)."""
    if b < a:
        return -business_hours_between(b, a, rules)
    cal = Calendar.of(rules)
    start, end = cal.local(a), cal.local(b)
    total = timedelta()
    day = start.date()
    while day <= end.date():
        if cal.is_working_day(day):
            lo, hi = max(start, cal.opening(day)), min(end, cal.closing(day))
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def sla_due_at(start: datetime, rules: DealRules) -> datetime:
    """When the approver's decision is due for a registration submitted at `start`."""
    return add_business_hours(start, rules.sla_hours, rules)


def reminder_at(registration: DealRegistration, rules: DealRules) -> datetime | None:
    """When the approver is reminded: `sla_reminder_hours` working hours before the due time."""
    if registration.sla_due_at is None:
        return None
    return add_business_hours(registration.sla_due_at, -rules.sla_reminder_hours, rules)


def sla_state(
    registration: DealRegistration, now: datetime | None = None, *, rules: DealRules | None = None
) -> SlaState:
    """Where the registration stands against its SLA. Pass `rules` when computing many (lists)
    to save the query per row."""
    if registration.sla_due_at is None:
        return SlaState.NONE
    if registration.status not in PENDING_STATUSES:
        decided = registration.decided_at or registration.approved_at
        if decided is None:
            return SlaState.NONE
        if decided <= registration.sla_due_at:
            return SlaState.DECIDED_ON_TIME
        return SlaState.DECIDED_LATE
    now = now or timezone.now()
    if now >= registration.sla_due_at:
        return SlaState.BREACHED
    if rules is None:
        rules = deal_rules()
    remind = reminder_at(registration, rules)
    if remind is not None and now >= remind:
        return SlaState.DUE_SOON
    return SlaState.ON_TIME


# --- The sweep: remind before the due time, escalate at breach (each once) ----------------------


ORDER = ("sla_due_at", "id")


def sla_sweep(now: datetime | None = None) -> dict[str, int]:
    """Remind approvers of registrations past their reminder time and escalate breached ones to
    the program admins. Safe to run as often as wanted: each happens once per registration.

    Set-based (issue 12): per batch one locking SELECT, one UPDATE, one INSERT of history (and
    of audit rows); then one digest per person ("12 registrations await your decision"). One
    transaction: claims, history and mails commit together."""
    now = now or timezone.now()
    rules = deal_rules()
    waiting = DealRegistration.objects.filter(
        status__in=PENDING_STATUSES, sla_due_at__isnull=False, sla_escalated_at__isnull=True
    )
    with transaction.atomic():
        escalated = sla_escalate_due(waiting.filter(sla_due_at__lte=now), now=now)
        # The reminder time grows with the due time: none is due past `now` plus the reminder's
        # working hours (a day's slack for the calendar's edges); each row is checked exactly.
        bound = add_business_hours(now, rules.sla_reminder_hours, rules) + timedelta(days=1)
        reminded = sla_remind_due(
            waiting.filter(sla_due_at__gt=now, sla_due_at__lte=bound, sla_reminded_at__isnull=True),
            now=now,
            rules=rules,
        )
    return {"reminded": reminded, "escalated": escalated}


def sla_remind_due(queryset, *, now: datetime, rules: DealRules | None) -> int:
    """`rules` None: remind every row of `queryset` without checking its reminder time."""
    from .routing import approver_ids, deal_digest_queue, rows_per_person

    touched: list[DealRegistration] = []
    partners: dict = {}
    when = when_text_memo()
    note = _("Decision due %(due)s.")
    for rows in locked_batches(queryset, order=ORDER):
        if rules is not None:
            rows = [r for r in rows if (at := reminder_at(r, rules)) is not None and now >= at]
        if not rows:
            continue
        partners_attach(rows, partners)
        DealRegistration.objects.filter(pk__in=[row.pk for row in rows]).update(sla_reminded_at=now)
        events_record_many(
            rows,
            actor=SYSTEM,
            action="sla_reminder",
            note=lambda row: note % {"due": when(row.sla_due_at)},
        )
        touched.extend(rows)
    people = rows_per_person(touched, approver_ids(touched))
    deal_digest_queue(
        template="sla_reminder",
        people=people,
        subject_one=_("Reminder: deal registration for %(customer)s is due for a decision"),
        subject_many=lambda n: (
            ngettext(
                "%(count)s registration awaits your decision",
                "%(count)s registrations await your decision",
                n,
            )
            % {"count": n}
        ),
        console=True,
        run=now.date().isoformat(),
    )
    return len(touched)


def sla_escalate_due(queryset, *, now: datetime) -> int:
    from .routing import deal_digest_queue, program_admin_ids

    touched: list[DealRegistration] = []
    partners: dict = {}
    approvers: dict = {}
    when = when_text_memo()
    note = _("No decision by %(due)s.")
    for rows in locked_batches(queryset, order=ORDER):
        partners_attach(rows, partners)
        approvers_attach(rows, approvers)
        DealRegistration.objects.filter(pk__in=[row.pk for row in rows]).update(
            sla_escalated_at=now
        )
        events_record_many(
            rows,
            actor=SYSTEM,
            action="sla_escalated",
            note=lambda row: note % {"due": when(row.sla_due_at)},
        )
        audit_record_many(
            actor=SYSTEM,
            action="deal.sla_escalated",
            targets=(
                (
                    row,
                    {
                        "sla_due_at": row.sla_due_at.isoformat(),
                        "approver": row.assigned_to.email if row.assigned_to else None,
                    },
                )
                for row in rows
            ),
        )
        touched.extend(rows)
    admins = program_admin_ids() if touched else set()
    deal_digest_queue(
        template="sla_escalated",
        people={user_id: list(touched) for user_id in admins},
        subject_one=_("SLA breached: deal registration for %(customer)s has no decision"),
        subject_many=lambda n: (
            ngettext(
                "SLA breached: %(count)s registration has no decision",
                "SLA breached: %(count)s registrations have no decision",
                n,
            )
            % {"count": n}
        ),
        console=True,
        run=now.date().isoformat(),
    )
    return len(touched)


def sla_remind(*, registration: DealRegistration, now: datetime) -> int:
    """Remind the approver of one registration now (once): the sweep's reminder for one row."""
    with transaction.atomic():
        return sla_remind_due(
            DealRegistration.objects.filter(
                pk=registration.pk, status__in=PENDING_STATUSES, sla_reminded_at__isnull=True
            ),
            now=now,
            rules=None,
        )
