"""Calendar months in UTC: what the analytics rollups count by, and how each app's facts
narrow a query to some months. A month is the date of its first day."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from django.db.models import Q

# In a set of (partner, month) changes: every month of the partner moved (e.g. its tier, whose
# margin applies to all its revenue).
EVERY_MONTH = date.min


def month_of(value: date | datetime) -> date:
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return date(value.year, value.month, 1)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_start(month: date) -> datetime:
    """The first moment of the month, UTC."""
    return datetime(month.year, month.month, 1, tzinfo=UTC)


def months_between(first: date, last: date) -> list[date]:
    """Every month from `first`'s to `last`'s, both included."""
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def in_months(field: str, months: Iterable[date], *, moments: bool = True) -> Q:
    """Rows whose `field` falls in one of the months (consecutive months make one range);
    `moments`: the field holds date-times (compared with UTC moments), else dates."""
    condition = Q(pk__in=[])
    ordered = sorted(set(months))
    start = 0
    for index, month in enumerate(ordered):
        if index + 1 < len(ordered) and ordered[index + 1] == add_months(month, 1):
            continue
        low, high = ordered[start], add_months(month, 1)
        if moments:
            low, high = month_start(low), month_start(high)
        condition |= Q(**{f"{field}__gte": low, f"{field}__lt": high})
        start = index + 1
    return condition
