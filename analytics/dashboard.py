"""The executive dashboard as data: tiles, charts and tables composed from `metrics` only, so the
page, its CSV exports (and the board report) show the same numbers.

Reads: the rollups (a fixed number of grouped queries whatever the data's size), the partners'
and tiers' names for the rows shown, the latest financial-model baseline, the refresh state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Model
from django.utils import formats
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from partners.models import PartnerType, Region
from partners.selectors.strategy import financial_models
from partners.services.tiers import program_settings
from tenancy.access import Actor
from tenancy.common.charts import Chart, Series
from tenancy.common.reading import one_reading, read_once

from .metrics import (
    METRICS,
    PARTNER_SUMS,
    TILES,
    Filters,
    Metric,
    change,
    figures,
    figures_key,
    period_bounds,
    products,
    tiers,
)
from .models import ZERO, AttributionModel
from .rollups import add_months, month_of

TOP_PARTNERS = 25
SOURCED_COLOR, INFLUENCED_COLOR = "#1f4e79", "#f2a900"


def month_label(month: date) -> str:
    return formats.date_format(month, "M Y")


def period_label(f: Filters) -> str:
    if f.start == f.end:
        return month_label(f.start)
    return f"{month_label(f.start)} – {month_label(f.end)}"


def period_choices(today: date) -> list[tuple[str, str]]:
    """The periods offered: this and the last 7 quarters, the last 12 months, this and the last
    two years, and the halves of this and last year."""
    current = month_of(today)
    choices = [("L12", _("Last 12 months"))]
    for back in range(8):
        month = add_months(current, -3 * back)
        quarter = (month.month - 1) // 3 + 1
        key = f"{month.year}-Q{quarter}"
        label = _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": month.year}
        if back == 0:
            label = _("%(period)s (this quarter)") % {"period": label}
        choices.append((key, label))
    for year in (today.year, today.year - 1):
        for half in (2, 1):
            if date(year, 1 if half == 1 else 7, 1) <= current:
                choices.append(
                    (f"{year}-H{half}", _("H%(half)s %(year)s") % {"half": half, "year": year})
                )
    for year in (today.year, today.year - 1, today.year - 2):
        choices.append((str(year), str(year)))
    return choices


@dataclass
class Tile:
    metric: Any
    value: Any
    previous: Any
    change: Decimal | None
    note: str = ""

    @property
    def good(self) -> bool | None:
        if self.change is None or self.change == 0:
            return None
        return (self.change > 0) == self.metric.higher_is_better


@dataclass
class Table:
    key: str
    title: str
    first_header: str
    rows: list[dict] = field(default_factory=list)
    columns: tuple[str, ...] = ("revenue", "sourced", "influenced", "cost", "ropi")
    note: str = ""

    def __post_init__(self) -> None:
        for row in self.rows:
            row["cells"] = [(METRICS[key], row[key]) for key in self.columns]

    @property
    def metrics(self):
        return [METRICS[key] for key in self.columns]


@dataclass
class Dashboard:
    filters: Filters
    period_key: str
    currency: str
    tiles: list[Tile]
    charts: list[Chart]
    tables: list[Table]
    baseline: Any
    product_filtered: bool


def parse_filters(params, today: date) -> tuple[Filters, str, dict]:
    """The filters from a query string; unknown values fall back to the defaults (never an
    error: a filter bar is not a form to fail)."""
    key = (params.get("period") or "").strip().upper()
    bounds = period_bounds(key, today)
    if bounds is None:
        month = month_of(today)
        key = f"{month.year}-Q{(month.month - 1) // 3 + 1}"
        bounds = period_bounds(key, today)
    model = params.get("model") or AttributionModel.LINEAR
    if model not in AttributionModel.values:
        model = AttributionModel.LINEAR
    region = params.get("region") or ""
    if region not in Region.values:
        region = ""
    partner_type = params.get("partner_type") or ""
    if partner_type not in PartnerType.values:
        partner_type = ""
    known_tiers = tiers()
    tier_id: int | None = None
    raw_tier = params.get("tier") or ""
    if raw_tier == "none":
        tier_id = 0
    elif raw_tier.isdigit() and int(raw_tier) in known_tiers:
        tier_id = int(raw_tier)
    product = (params.get("product") or "").strip()[:120]
    if product and product not in products():
        product = ""
    f = Filters(
        start=bounds[0],
        end=bounds[1],
        model=model,
        region=region,
        tier_id=tier_id,
        partner_type=partner_type,
        product=product,
    )
    chosen = {
        "period": key,
        "model": model,
        "region": region,
        "tier": raw_tier if tier_id is not None else "",
        "partner_type": partner_type,
        "product": product,
    }
    return f, key, chosen


def tiles_for(actor: Actor, f: Filters, keys=TILES, *, now: dict | None = None) -> list[Tile]:
    """The tiles; `now`: the period's sums when the caller has them (see `_total`)."""
    if now is None:
        now = figures(actor, f)[None]
    before = figures(actor, f.previous())[None]
    tiles = []
    for key in keys:
        metric = METRICS[key]
        value, previous = metric.of(now), metric.of(before)
        tiles.append(Tile(metric, value, previous, change(value, previous)))
    return tiles


def _total(f: Filters, by_month: dict) -> dict[str, Any]:
    """The period's sums from its months' (what `figures(actor, f)[None]` reads): every figure
    is a sum over months, and certified people are counted in the period's last month only."""
    total: dict[str, Any] = dict.fromkeys((*PARTNER_SUMS, "certified_people"), 0)
    total.update(sourced=ZERO, influenced=ZERO)
    for sums in by_month.values():
        for name in total:
            total[name] += sums.get(name, 0)
    total["by_product"] = bool(f.product)
    return total


def _month_chart(actor: Actor, f: Filters, currency: str, by_month: dict | None = None) -> Chart:
    if by_month is None:
        by_month = figures(actor, f, by="month")
    months = [add_months(f.start, i) for i in range(f.months)]
    empty: dict = {}
    return Chart(
        key="revenue-by-month",
        title=_("Partner revenue by month (%(model)s)")
        % {"model": AttributionModel(f.model).label},
        categories=[month_label(m) for m in months],
        series=[
            Series(
                _("Sourced"),
                [METRICS["sourced"].of(by_month.get(m, empty)) for m in months],
                SOURCED_COLOR,
            ),
            Series(
                _("Influenced"),
                [METRICS["influenced"].of(by_month.get(m, empty)) for m in months],
                INFLUENCED_COLOR,
            ),
        ],
        stacked=True,
        unit=currency,
    )


def _rows(
    actor: Actor,
    f: Filters,
    by: str,
    names: dict,
    limit: int | None = None,
    groups: dict | None = None,
) -> list[dict]:
    if groups is None:
        groups = figures(actor, f, by=by, top=limit)
    revenue = METRICS["revenue"]
    ranked = []
    for key, sums in groups.items():
        label = names.get(key, key) or _("Not set")
        ranked.append((-(revenue.of(sums) or 0), str(label), key, label))
    ranked.sort(key=lambda item: item[:2])
    if limit:
        # NOTE: every metric of the rows shown only (the top 25 of 5,000 partners): ranking
        # needs the revenue alone.
        ranked = ranked[:limit]
    return [
        {
            "key": key,
            "label": label,
            **{name: metric.of(groups[key]) for name, metric in METRICS.items()},
        }
        for _revenue, _sort_label, key, label in ranked
    ]


def table(actor: Actor, f: Filters, by: str, *, limit: int | None = None) -> Table:
    """One breakdown table (also what its CSV exports)."""
    if by == "partner":
        groups = figures(actor, f, by="partner", top=limit)
        rows = _rows(actor, f, "partner", {}, limit, groups)
        names = _partner_names(groups)
        for row in rows:
            row["label"], row["uuid"] = names.get(row["key"], ("", None))
        return Table(
            "partners",
            _("By partner"),
            _("Partner"),
            rows,
            (
                "revenue",
                "sourced",
                "influenced",
                "cost",
                "ropi",
                "registrations",
                "win_rate",
                "certified_people",
            ),
            _("The %(n)s partners with the most revenue; the CSV has them all.") % {"n": limit}
            if limit and len(rows) >= limit
            else "",
        )
    if by == "tier":
        names: dict = tiers()
        names[None] = _("No tier")
        return Table(
            "tiers",
            _("By tier"),
            _("Tier"),
            _rows(actor, f, "tier", names),
            (
                "revenue",
                "sourced",
                "influenced",
                "cost",
                "ropi",
                "certified_people",
                "training_hours",
            ),
        )
    if by == "region":
        return Table(
            "regions", _("By region"), _("Region"), _rows(actor, f, "region", dict(Region.choices))
        )
    if by == "partner_type":
        return Table(
            "partner-types",
            _("By partner type"),
            _("Partner type"),
            _rows(actor, f, "partner_type", dict(PartnerType.choices)),
        )
    if by == "product":
        return Table(
            "products",
            _("By product"),
            _("Product"),
            _rows(actor, f, "product", {"": _("No product")}),
            ("revenue", "sourced", "influenced", "sourced_share"),
            _("Costs are not kept by product."),
        )
    raise ValueError(by)


TABLES = {
    "partners": "partner",
    "tiers": "tier",
    "regions": "region",
    "partner-types": "partner_type",
    "products": "product",
}


def fingerprint(value: Any) -> Any:
    """Everything a board shows, as plain values (for a key): translated words as text, a
    metric by its key (its formula is code), a model row by its fields, dataclasses, mappings
    and sequences by their contents."""
    if value is None or isinstance(value, (str, int, float, Decimal, date, UUID)):
        return value
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, Metric):
        return ("metric", value.key)
    if isinstance(value, Model):
        return (
            value._meta.label,
            *(fingerprint(f.value_from_object(value)) for f in value._meta.concrete_fields),
        )
    if is_dataclass(value):
        return (type(value).__name__, *(fingerprint(getattr(value, f.name)) for f in fields(value)))
    if isinstance(value, dict):
        return tuple((fingerprint(k), fingerprint(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(fingerprint(item) for item in value)
    raise TypeError(f"a board holds a {type(value).__name__}: say how to key it")


def _partner_names(groups: dict) -> dict:
    """{partner id: (name, uuid)} of these figures' partners, read once per reading."""
    from partners.selectors.facts import partner_names

    ids = tuple(sorted(key for key in groups if key is not None))
    return read_once(("partner_names", ids), lambda: partner_names(ids))


def _baseline(actor: Actor):
    """The latest financial model (the planned ROPI the board compares with), once per reading."""
    return read_once(("baseline", id(actor)), lambda: financial_models(actor).first(), keep=actor)


def program_currency() -> str:
    """The program currency (its settings are read once per reading)."""
    return program_settings().currency


def _asks(f: Filters) -> tuple:
    """The figures a board shows, as `figures()` arguments (filters, by, top)."""
    return (
        (f, "month", None),
        (f.previous(), None, None),
        (f, "partner", TOP_PARTNERS),
        (f, "tier", None),
        (f, "region", None),
        (f, "product", None),
    )


def board_key(actor: Actor, f: Filters, period_key: str) -> Any:
    """What `dashboard()` shows, named without composing it: the cache keys of its figures
    (the rollups' version, whose rows, what was asked), the names of the partners that can rank
    in its table, the tiers' names, the currency and the baseline. The same key is the same
    board (with the same language); any change — a refresh, a renamed partner or tier, another
    currency or baseline — is another key. None when a figure is not cached by version (then
    nothing is kept)."""
    keys = tuple(figures_key(actor, g, by=by, top=top) for g, by, top in _asks(f))
    if None in keys:
        return None
    leaders = figures(actor, f, by="partner", top=TOP_PARTNERS)
    return fingerprint(
        (
            f,
            period_key,
            keys,
            _partner_names(leaders),
            tiers(),
            program_currency(),
            _baseline(actor),
        )
    )


@one_reading()
def dashboard(actor: Actor, f: Filters, period_key: str) -> Dashboard:
    currency = program_currency()
    # One query pair for the months serves the chart and this period's tiles.
    by_month = figures(actor, f, by="month")
    tiles = tiles_for(actor, f, now=_total(f, by_month))
    charts = [_month_chart(actor, f, currency, by_month)]
    tables = [
        table(actor, f, "partner", limit=TOP_PARTNERS),
        table(actor, f, "tier"),
        table(actor, f, "region"),
        table(actor, f, "product"),
    ]
    tier_table = tables[1]
    charts.append(
        Chart(
            key="revenue-by-tier",
            title=_("Sourced and influenced revenue by tier"),
            categories=[str(row["label"]) for row in tier_table.rows],
            series=[
                Series(_("Sourced"), [row["sourced"] for row in tier_table.rows], SOURCED_COLOR),
                Series(
                    _("Influenced"),
                    [row["influenced"] for row in tier_table.rows],
                    INFLUENCED_COLOR,
                ),
            ],
            stacked=True,
            unit=currency,
        )
    )
    return Dashboard(
        filters=f,
        period_key=period_key,
        currency=currency,
        tiles=tiles,
        charts=charts,
        tables=tables,
        baseline=_baseline(actor),
        product_filtered=bool(f.product),
    )


@dataclass
class PartnerBoard:
    filters: Filters
    period_key: str
    currency: str
    tiles: list[Tile]
    capability: list[Tile]
    charts: list[Chart]


PARTNER_TILES = ("revenue", "ropi", "sourced_share", "cost", "registrations", "win_rate")
CAPABILITY_TILES = (
    "certified_people",
    "certifications_awarded",
    "training_hours",
    "course_completions",
    "logins",
    "mdf_paid",
)


@one_reading()
def partner_board(actor: Actor, f: Filters, period_key: str) -> PartnerBoard:
    """One partner's drill-down (`f.partner_id` set by the caller after the access check)."""
    currency = program_currency()
    return PartnerBoard(
        filters=f,
        period_key=period_key,
        currency=currency,
        tiles=tiles_for(actor, f, PARTNER_TILES),
        capability=tiles_for(actor, f, CAPABILITY_TILES),
        charts=[_month_chart(actor, f, currency)],
    )
