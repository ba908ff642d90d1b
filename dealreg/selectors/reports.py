"""Console reports over a period: registration volume, approval rate, median time to decision,
SLA breaches, win rate and won value, overall and by partner, region and product.

Aggregated in the database (a 90-day period of a large program is over 100,000 registrations):
one grouped query per breakdown, all from the same expressions (`_figures`), so every breakdown
follows the same definitions — a registration counts once per product in the product breakdown.

Definitions (a registration belongs to the period by its submission time):
- volume: registrations submitted in the period;
- approval rate: approved-or-later (approved, won, lost, expired) ÷ decided (those + rejected);
- median time to decision: hours from submission to decision, over decided registrations;
- SLA breaches: decided after the SLA due time, or still pending past it;
- win rate: won ÷ (won + lost); won value: the won registrations' value, summed per currency;
  won value total: those sums in the program currency at today's exchange rates, with the
  currencies that have no rate listed apart (never silently added at par).
Rates and hours are rounded half up (tenancy.common.numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, CharField, Count, F, JSONField, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from partners.services.currency import convert, exchange_rates
from partners.services.tiers import program_settings
from tenancy.access import Actor
from tenancy.common.aggregates import HoursBetween, JsonListItems, Median, PairList
from tenancy.common.numbers import round_half_up
from tenancy.scoping import choice_labels

from ..models import DealRegistration, DealStatus
from ..models.registrations import PENDING_STATUSES
from .registration import deals_for

S = DealStatus
APPROVED_OR_LATER = frozenset({S.APPROVED, S.WON, S.LOST, S.EXPIRED})
DECIDED = APPROVED_OR_LATER | {S.REJECTED}
DEFAULT_DAYS = 90
MAX_DAYS = 731
NONE_LABEL = "—"
CENTS = Decimal("0.01")


@dataclass
class Stats:
    """One group's figures as the database aggregated them (`_figures`)."""

    volume: int = 0
    decided: int = 0
    approved: int = 0
    won: int = 0
    lost: int = 0
    sla_breaches: int = 0
    median_hours: float | None = None
    won_value: dict[str, Decimal] = field(default_factory=dict)

    @property
    def approval_rate(self) -> float | None:
        return _ratio(self.approved, self.decided)

    @property
    def win_rate(self) -> float | None:
        return _ratio(self.won, self.won + self.lost)

    def as_dict(self) -> dict:
        median = self.median_hours
        return {
            "volume": self.volume,
            "decided": self.decided,
            "approved": self.approved,
            "approval_rate": self.approval_rate,
            "median_hours_to_decision": None if median is None else float(round_half_up(median, 2)),
            "sla_breaches": self.sla_breaches,
            "won": self.won,
            "lost": self.lost,
            "win_rate": self.win_rate,
            "won_value": {c: str(v) for c, v in sorted(self.won_value.items())},
        }


def _ratio(part: int, whole: int) -> float | None:
    return float(round_half_up(Decimal(part) / Decimal(whole), 4)) if whole else None


def _figures(now: datetime) -> dict:
    """The aggregates of a group of registrations, named as Stats' fields."""
    pending = Q(status__in=PENDING_STATUSES)
    decided = Q(status__in=DECIDED)
    breached = Q(sla_due_at__isnull=False) & (
        (pending & Q(sla_due_at__lt=now)) | (~pending & Q(report_closed_at__gt=F("sla_due_at")))
    )
    return {
        "volume": Count("pk"),
        "decided": Count("pk", filter=decided),
        "approved": Count("pk", filter=Q(status__in=APPROVED_OR_LATER)),
        "won": Count("pk", filter=Q(status=S.WON)),
        "lost": Count("pk", filter=Q(status=S.LOST)),
        "sla_breaches": Count("pk", filter=breached),
        "median_hours": Median(
            HoursBetween("submitted_at", "decided_at"),
            filter=decided & Q(decided_at__isnull=False),
        ),
        # Summed per currency in Python (a handful of currencies): one scan for every figure.
        "won_value": PairList(
            "currency", Cast("estimated_value", CharField()), filter=Q(status=S.WON)
        ),
    }


def _grouped(rows: QuerySet, key, now: datetime) -> dict[str, Stats]:
    """{key: Stats} for `rows` grouped by the expression `key` (None: one group, "all")."""
    figures = _figures(now)
    if key is None:
        groups = [{"key": "all", **rows.aggregate(**figures)}]
    else:
        groups = rows.annotate(key=key).values("key").annotate(**figures).order_by()
    stats = {}
    for row in groups:
        key_value = row.pop("key")
        won_value: dict[str, Decimal] = {}
        for currency, value in row.pop("won_value") or []:
            won_value[currency] = won_value.get(currency, Decimal(0)) + Decimal(value)
        stats[key_value] = Stats(
            **row, won_value={c: v.quantize(CENTS) for c, v in won_value.items()}
        )
    return stats


def _by_product(rows: QuerySet, now: datetime) -> dict[str, Stats]:
    """Each product a registration lists counts it once (products are stored stripped and without
    duplicates, dealreg.services.registration); no product is "—"."""
    if connection.vendor == "postgresql":
        no_product = Value([NONE_LABEL], output_field=JSONField())
        listed = Coalesce(NullIf(F("products"), Value([], output_field=JSONField())), no_product)
        return _grouped(rows, JsonListItems(listed), now)
    # SQLite, the embedded single-server default: one group's queries per product.
    names = {str(p) for products in rows.values_list("products", flat=True) for p in products or []}
    stats: dict[str, Stats] = {}
    for name in sorted(names):
        lists_it = RawSQL(
            "EXISTS (SELECT 1 FROM json_each(dealreg_dealregistration.products) WHERE value = %s)",
            [name],
            output_field=BooleanField(),
        )
        listing_it = rows.alias(lists_it=lists_it).filter(lists_it=True)
        stats[name] = _grouped(listing_it, None, now)["all"]
    none = _grouped(rows.filter(products=[]), None, now)["all"]
    if none.volume:
        stats[NONE_LABEL] = none
    return stats


def _relabel(stats: dict[str, Stats], labels: dict[str, str]) -> dict[str, Stats]:
    """The groups under the words people read: a region's name, "No region" for none."""
    return {labels.get(key, key): value for key, value in stats.items()}


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
        .alias(report_closed_at=Coalesce("decided_at", "approved_at"))
        .order_by()
    )
    overall = _grouped(rows, None, now)["all"]
    regions = choice_labels(DealRegistration._meta.get_field("region"))
    by = {
        "partner": _grouped(rows, F("partner__name"), now),
        "region": _relabel(
            _grouped(rows, Coalesce(NullIf("region", Value("")), Value(NONE_LABEL)), now),
            {**regions, NONE_LABEL: _("No region")},
        ),
        "product": _relabel(_by_product(rows, now), {NONE_LABEL: _("No product")}),
    }

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
