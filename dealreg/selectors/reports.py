"""Console reports over a period: registration volume, approval rate, median time to decision,
SLA breaches, win rate and won value, overall and by partner, region and product.

One query: the period's registrations in the actor's scope, as plain value rows (a bounded
period keeps the set bounded), then arithmetic in Python so the same definitions serve every
breakdown — a registration counts once per product in the product breakdown.

Definitions (a registration belongs to the period by its submission time):
- volume: registrations submitted in the period;
- approval rate: approved-or-later (approved, won, lost, expired) ÷ decided (those + rejected);
- median time to decision: hours from submission to decision, over decided registrations;
- SLA breaches: decided after the SLA due time, or still pending past it;
- win rate: won ÷ (won + lost); won value: the won registrations' value, summed per currency;
  won value total: those sums in the program currency at today's exchange rates, with the
  currencies that have no rate listed apart (never silently added at par).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from partners.services.currency import convert, exchange_rates
from partners.services.tiers import program_settings
from tenancy.access import Actor

from ..models import DealStatus
from ..models.registrations import PENDING_STATUSES
from .registration import deals_for

S = DealStatus
APPROVED_OR_LATER = frozenset({S.APPROVED, S.WON, S.LOST, S.EXPIRED})
DECIDED = APPROVED_OR_LATER | {S.REJECTED}
DEFAULT_DAYS = 90
MAX_DAYS = 731
NONE_LABEL = "—"


@dataclass
class Stats:
    volume: int = 0
    decided: int = 0
    approved: int = 0
    won: int = 0
    lost: int = 0
    sla_breaches: int = 0
    decision_hours: list[float] = field(default_factory=list)
    won_value: dict[str, Decimal] = field(default_factory=lambda: defaultdict(Decimal))

    def add(self, row: dict, now: datetime) -> None:
        status = row["status"]
        self.volume += 1
        if status in DECIDED:
            self.decided += 1
            if row["decided_at"] and row["submitted_at"]:
                delta = row["decided_at"] - row["submitted_at"]
                self.decision_hours.append(delta.total_seconds() / 3600)
        if status in APPROVED_OR_LATER:
            self.approved += 1
        if status == S.WON:
            self.won += 1
            self.won_value[row["currency"]] += row["estimated_value"]
        elif status == S.LOST:
            self.lost += 1
        due = row["sla_due_at"]
        if due is not None:
            decided_at = row["decided_at"] or row["approved_at"]
            if status in PENDING_STATUSES:
                self.sla_breaches += now > due
            elif decided_at is not None:
                self.sla_breaches += decided_at > due

    @property
    def approval_rate(self) -> float | None:
        return round(self.approved / self.decided, 4) if self.decided else None

    @property
    def win_rate(self) -> float | None:
        closed = self.won + self.lost
        return round(self.won / closed, 4) if closed else None

    @property
    def median_hours(self) -> float | None:
        return round(statistics.median(self.decision_hours), 2) if self.decision_hours else None

    def as_dict(self) -> dict:
        return {
            "volume": self.volume,
            "decided": self.decided,
            "approved": self.approved,
            "approval_rate": self.approval_rate,
            "median_hours_to_decision": self.median_hours,
            "sla_breaches": self.sla_breaches,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
            "won_value": {c: str(v) for c, v in sorted(self.won_value.items())},
        }


# The window a report period must lie in: registrations are submitted "now", so a period far in
# the past or future is a typing mistake (and 9999-12-31 + 1 day does not exist).
EARLIEST = date(2000, 1, 1)
LATEST_AHEAD_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def latest(cls, today: date | None = None) -> date:
        return (today or timezone.localdate()) + timedelta(LATEST_AHEAD_DAYS)

    @classmethod
    def of(cls, start: date | None, end: date | None, today: date | None = None) -> Period:
        """The period from `start` to `end` (defaults: the last 90 days up to today), or a
        ValidationError per field ("from", "to") when a date lies outside the window, the start is
        after the end or the period is longer than two years."""
        today = today or timezone.localdate()
        latest = cls.latest(today)
        errors: dict[str, str] = {}
        outside = _("Enter a date between %(first)s and %(last)s.") % {
            "first": date_format(EARLIEST),
            "last": date_format(latest),
        }
        for name, day in (("from", start), ("to", end)):
            if day is not None and not (EARLIEST <= day <= latest):
                errors[name] = outside
        if errors:
            raise ValidationError(errors)
        end = end or today
        start = start or end - timedelta(DEFAULT_DAYS)
        if start > end:
            raise ValidationError({"from": _("The start date must be on or before the end date.")})
        if (end - start).days > MAX_DAYS:
            raise ValidationError(
                {"from": _("A report covers at most two years: choose a later start date.")}
            )
        return cls(start, end)

    @classmethod
    def parse(cls, start: str | None, end: str | None, today: date | None = None) -> Period:
        """`of` for ISO date strings (a string that is not a date is a field error too)."""
        days: dict[str, date | None] = {}
        for name, text in (("from", start), ("to", end)):
            try:
                days[name] = date.fromisoformat(text) if text else None
            except ValueError:
                raise ValidationError({name: _("Enter a valid date.")}) from None
        return cls.of(days["from"], days["to"], today)

    def bounds(self) -> tuple[datetime, datetime]:
        tz = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )


def deal_report(actor: Actor, period: Period, now: datetime | None = None) -> dict:
    """{"period", "overall", "by_partner", "by_region", "by_product"}; each breakdown a list of
    {"key", **stats} sorted by volume, then key."""
    now = now or timezone.now()
    start, end = period.bounds()
    rows = (
        deals_for(actor)
        .filter(submitted_at__gte=start, submitted_at__lt=end)
        .exclude(status=S.DRAFT)
        .order_by()
        .values(
            "partner__name",
            "region",
            "products",
            "status",
            "submitted_at",
            "decided_at",
            "approved_at",
            "sla_due_at",
            "estimated_value",
            "currency",
        )
    )
    overall = Stats()
    by: dict[str, dict[str, Stats]] = {
        k: defaultdict(Stats) for k in ("partner", "region", "product")
    }
    for row in rows:
        overall.add(row, now)
        by["partner"][row["partner__name"]].add(row, now)
        by["region"][row["region"] or NONE_LABEL].add(row, now)
        products = {str(p) for p in (row["products"] or []) if str(p).strip()} or {NONE_LABEL}
        for product in products:
            by["product"][product].add(row, now)

    program_currency = program_settings().currency
    rates = exchange_rates(program_currency)

    def with_total(stats: Stats) -> dict:
        data = stats.as_dict()
        total, unconverted = Decimal(0), []
        for currency, value in sorted(stats.won_value.items()):
            amount = convert(value, currency, program_currency, rates=rates)
            if amount is None:
                unconverted.append(currency)
            else:
                total += amount
        data["won_value_total"] = str(total.quantize(Decimal("0.01")))
        data["won_value_total_currency"] = program_currency
        data["won_value_unconverted"] = unconverted
        return data

    def listing(stats: dict[str, Stats]) -> list[dict]:
        items = sorted(stats.items(), key=lambda kv: (-kv[1].volume, kv[0]))
        return [{"key": key, **with_total(value)} for key, value in items]

    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "overall": with_total(overall),
        "by_partner": listing(by["partner"]),
        "by_region": listing(by["region"]),
        "by_product": listing(by["product"]),
    }


CSV_HEADER = [
    "breakdown",
    "key",
    "volume",
    "decided",
    "approved",
    "approval_rate",
    "median_hours_to_decision",
    "sla_breaches",
    "won",
    "lost",
    "win_rate",
    "won_value",
    "won_value_total",
    "won_value_total_currency",
    "won_value_unconverted",
]


def _csv_cell(item: dict, col: str):
    if col == "won_value":
        return "; ".join(f"{v} {c}" for c, v in item["won_value"].items())
    if col == "won_value_unconverted":
        return " ".join(item[col])
    return "" if item[col] is None else item[col]


def report_csv_rows(report: dict):
    yield CSV_HEADER
    sections = [("overall", [{"key": "all", **report["overall"]}])] + [
        (name, report[f"by_{name}"]) for name in ("partner", "region", "product")
    ]
    for name, items in sections:
        for item in items:
            yield [name] + [_csv_cell(item, col) for col in CSV_HEADER[1:]]
