"""Every figure of the dashboards, defined once.

A metric is a formula over the sums of the rollup tables (`PartnerMonth`, `AttributionMonth`)
for a period and a set of filters. `figures()` reads those sums — two grouped queries whatever
the data's size — and every page, CSV, API answer and PDF computes its numbers from them through
`METRICS`, so they can never disagree. The Definitions page prints each metric's `definition`.

Rounding: money half up to the cent, ratios (ROPI) half up to two decimals, percentages half up
to one decimal, hours half up to one decimal — once, after summing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Case, F, IntegerField, QuerySet, Sum, When
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from partners.selectors.facts import tier_names
from tenancy import access
from tenancy.access import Actor
from tenancy.common.reading import read_once
from tenancy.context import require_current_tenant

from .models import ZERO, AttributionModel, AttributionMonth, PartnerMonth
from .rollups import add_months, month_of

CENT = Decimal("0.01")
TENTH = Decimal("0.1")
HUNDRED = Decimal(100)


# --- Filters and periods -------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    start: date  # first month of the period
    end: date  # last month of the period (inclusive)
    model: str = AttributionModel.LINEAR
    region: str = ""
    tier_id: int | None = None
    partner_type: str = ""
    product: str = ""
    partner_id: int | None = None

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def previous(self) -> Filters:
        """The period of the same length just before (for period-over-period change)."""
        return replace(
            self, start=add_months(self.start, -self.months), end=add_months(self.start, -1)
        )


def period_bounds(key: str, today: date) -> tuple[date, date] | None:
    """ "2026-Q4", "2026-H2", "2026" or "L12" (the last 12 months, this one included)."""
    current = month_of(today)
    key = (key or "").strip().upper()
    if key == "L12":
        return add_months(current, -11), current
    try:
        if len(key) == 4:
            year = int(key)
            return date(year, 1, 1), date(year, 12, 1)
        year, part = int(key[:4]), key[5:]
        if key[4] != "-":
            return None
        if part in ("Q1", "Q2", "Q3", "Q4"):
            first = (int(part[1]) - 1) * 3 + 1
            return date(year, first, 1), date(year, first + 2, 1)
        if part in ("H1", "H2"):
            first = 1 if part == "H1" else 7
            return date(year, first, 1), date(year, first + 5, 1)
    except (ValueError, IndexError):
        return None
    return None


def period_key_for(month: date) -> str:
    return f"{month.year}-Q{(month.month - 1) // 3 + 1}"


# --- Reading the rollups -----------------------------------------------------------------------

PARTNER_SUMS = tuple(f for f in PartnerMonth.METRICS if f != "certified_people")
GROUPS = {
    None: (),
    "partner": ("partner_id",),
    "tier": ("tier_id",),
    "region": ("region",),
    "partner_type": ("partner_type",),
    "product": ("product",),
    "month": ("month",),
}


def _scoped(actor: Actor, qs: QuerySet) -> QuerySet:
    if actor.is_partner:  # a partner's own figures only (its scorecard)
        org = actor.partner_organization_id
        return qs.filter(partner_id=org) if org else qs.none()
    if not actor.has(access.Perm.ANALYTICS_VIEW):
        return qs.none()
    if access.sees_every_partner(actor):
        return qs
    return access.scope_partner_owned(actor, qs)


def _filtered(qs: QuerySet, f: Filters) -> QuerySet:
    qs = qs.filter(month__gte=f.start, month__lte=f.end)
    if f.region:
        qs = qs.filter(region=f.region)
    if f.tier_id is not None:
        qs = qs.filter(tier_id=f.tier_id or None)
    if f.partner_type:
        qs = qs.filter(partner_type=f.partner_type)
    if f.partner_id is not None:
        qs = qs.filter(partner_id=f.partner_id)
    return qs


def _cache_scope(actor: Actor, scoped: bool) -> str | None:
    """Whose rows a `figures()` answer covers, for its cache key: the whole program, one
    partner, or a channel manager's partners as they are now (their ids, hashed: a partner
    reassigned changes the key). None: not cached."""
    if not scoped:
        return "all"
    if actor.is_partner:
        return f"partner:{actor.partner_organization_id}" if actor.partner_organization_id else None
    if not actor.has(access.Perm.ANALYTICS_VIEW):
        return None
    if access.sees_every_partner(actor):
        return "all"
    from partners.selectors.organization import partner_organizations_for

    ids = list(partner_organizations_for(actor).order_by("pk").values_list("pk", flat=True))
    return "partners:" + hashlib.sha256(repr(ids).encode()).hexdigest()[:32]


def figures(
    actor: Actor,
    f: Filters,
    *,
    by: str | None = None,
    scoped: bool = True,
    top: int | None = None,
) -> dict[Any, dict[str, Any]]:
    """{group: {sum name: value}} for the period: the partner figures (revenue ledger, costs,
    registrations, capability...) and the attributed revenue under the chosen model. With
    `by=None` the only group is None. `scoped=False` (benchmarks only, which publish nothing
    but medians) reads every partner's rows.

    The rollups change only when a refresh commits, so an answer is cached until the next
    refresh that changes a row (its key holds the rollups' version, counted by the refresh in
    the same transaction): one small query on a hit (two for a channel manager), three on a
    miss; inside `one_reading()` those small queries are asked once for every call.

    `top`: only the groups that can rank among the first `top` by revenue — every group whose
    revenue reaches the `top`-th highest, so ties at the cut stay and the caller's tie-break
    still decides. The dashboard's partner table shows 25 of 5,000 partners: its cached answer
    is those 25, not 5,000 partners' sums to unpickle on every view."""
    key = figures_key(actor, f, by=by, scoped=scoped, top=top)
    if key is None:
        return _figures(actor, f, by=by, scoped=scoped)
    from django.core.cache import cache

    found = cache.get(key)
    if found is None:
        if top is None:
            found = _figures(actor, f, by=by, scoped=scoped)
        else:
            found = _leaders(figures(actor, f, by=by, scoped=scoped), top)
        cache.set(key, found, FIGURES_CACHE_SECONDS)
    return found


def figures_key(
    actor: Actor,
    f: Filters,
    *,
    by: str | None = None,
    scoped: bool = True,
    top: int | None = None,
) -> str | None:
    """The cache key of `figures()`'s answer with these arguments — the rollups' version, whose
    rows and what was asked: the same key is the same answer. None when the answer is not
    cached (before the first refresh, or an actor whose scope cannot be named)."""
    scope = read_once(("scope", id(actor), scoped), lambda: _cache_scope(actor, scoped), keep=actor)
    if scope is None:
        return None
    state = reading_state()
    if state is None or state.version is None:  # never refreshed: nothing worth keeping
        return None
    asked = hashlib.sha256(repr((f, by, top)).encode()).hexdigest()[:32]
    # The state's uuid too: a state made anew (its version from 0 again) is never an old one.
    return (
        f"analytics:figures:{require_current_tenant().pk}:{state.uuid}:{state.version}"
        f":{scope}:{asked}"
    )


def _leaders(groups: dict[Any, dict[str, Any]], top: int) -> dict[Any, dict[str, Any]]:
    """The groups whose revenue reaches the `top`-th highest (ties at the cut kept)."""
    revenue = METRICS["revenue"]
    amounts = sorted((revenue.of(sums) or 0 for sums in groups.values()), reverse=True)
    if len(amounts) <= top:
        return groups
    floor = amounts[top - 1]
    return {key: sums for key, sums in groups.items() if (revenue.of(sums) or 0) >= floor}


# A cached answer outlives its refresh by nothing (the key changes); this only bounds memory.
FIGURES_CACHE_SECONDS = 24 * 3600


def _figures(
    actor: Actor, f: Filters, *, by: str | None = None, scoped: bool = True
) -> dict[Any, dict[str, Any]]:

    def scope(qs: QuerySet) -> QuerySet:
        return _scoped(actor, qs) if scoped else qs

    group = GROUPS[by]
    out: dict[Any, dict[str, Any]] = {}

    def key_of(row):
        return row[group[0]] if group else None

    if by != "product":
        partner = _filtered(scope(PartnerMonth.objects.all()), f)
        sums = {name: Sum(name) for name in PARTNER_SUMS}
        sums["certified_people"] = Sum(
            Case(When(month=f.end, then=F("certified_people")), default=0),
            output_field=IntegerField(),
        )
        rows = (
            partner.values(*group).annotate(**sums).order_by()
            if group
            else [partner.aggregate(**sums)]
        )
        for row in rows:
            out.setdefault(key_of(row), {}).update(
                {name: row[name] or 0 for name in (*PARTNER_SUMS, "certified_people")}
            )
    attribution = _filtered(scope(AttributionMonth.objects.all()), f).filter(model=f.model)
    if f.product:
        attribution = attribution.filter(product=f.product)
    sums = {"sourced": Sum("sourced"), "influenced": Sum("influenced")}
    rows = (
        attribution.values(*group).annotate(**sums).order_by()
        if group
        else [attribution.aggregate(**sums)]
    )
    for row in rows:
        out.setdefault(key_of(row), {}).update(
            {"sourced": row["sourced"] or ZERO, "influenced": row["influenced"] or ZERO}
        )
    for values in out.values():
        values["by_product"] = bool(f.product)
        for name in (*PARTNER_SUMS, "certified_people"):
            values.setdefault(name, 0)
        values.setdefault("sourced", ZERO)
        values.setdefault("influenced", ZERO)
    if not group:
        out.setdefault(None, {})
    return out


def reading_state():
    """The tenant's RollupState (None before its first refresh), read once per
    `one_reading()`: a page's version, products and "figures as of" come from one row."""
    from .models import RollupState

    return read_once(("state", require_current_tenant().pk), RollupState.objects.first)


def tiers() -> dict[int, str]:
    """{tier id: name} in rank order, read once per `one_reading()` (a copy: callers add to it)."""
    return dict(read_once(("tiers", require_current_tenant().pk), tier_names))


def products() -> list[str]:
    """The products revenue was booked under (kept by the last refresh)."""
    state = reading_state()
    return list(state.products) if state else []


# --- The metrics ---------------------------------------------------------------------------------


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


def _ratio(numerator: Decimal, denominator: Decimal, places: Decimal) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(places, ROUND_HALF_UP)


def _revenue(t) -> Decimal:
    return _money(Decimal(t.get("sourced", 0)) + Decimal(t.get("influenced", 0)))


def _cost(t) -> Decimal | None:
    if t.get("by_product"):
        return None  # costs are not kept by product
    return _money(
        Decimal(t.get("margin_given", 0))
        + Decimal(t.get("mdf_paid", 0))
        + Decimal(t.get("management_cost", 0))
    )


def _ropi(t) -> Decimal | None:
    cost = _cost(t)
    return None if cost is None else _ratio(_revenue(t), cost, CENT)


def _win_rate(t) -> Decimal | None:
    closed = int(t.get("won", 0)) + int(t.get("lost", 0))
    return _ratio(Decimal(int(t.get("won", 0))) * HUNDRED, Decimal(closed), TENTH)


def _sourced_share(t) -> Decimal | None:
    revenue = Decimal(t.get("sourced", 0)) + Decimal(t.get("influenced", 0))
    return _ratio(Decimal(t.get("sourced", 0)) * HUNDRED, revenue, TENTH)


def _hours(t) -> Decimal:
    return (Decimal(int(t.get("training_seconds", 0))) / 3600).quantize(TENTH, ROUND_HALF_UP)


@dataclass(frozen=True)
class Metric:
    key: str
    label: str | Promise
    unit: str  # "money", "ratio", "percent", "count", "hours"
    definition: str | Promise
    formula: Callable[[dict], Any]
    # Whether a rise is good news (the tile's arrow colour).
    higher_is_better: bool = True

    def of(self, sums: dict) -> Any:
        return self.formula(sums)


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in (
        Metric(
            "revenue",
            _("Partner revenue"),
            "money",
            _(
                "Revenue of the period booked through partners (the revenue ledger: won deal "
                "registrations and recorded partner revenue, in the program currency), credited "
                "to partners by the chosen attribution model. Sourced plus influenced."
            ),
            _revenue,
        ),
        Metric(
            "sourced",
            _("Sourced revenue"),
            "money",
            _(
                "The share of partner revenue credited to touches that brought the customer: "
                "registering the deal, referring the customer, a campaign lead. A record typed "
                "in as sourced counts here whole."
            ),
            lambda t: _money(t.get("sourced")),
        ),
        Metric(
            "influenced",
            _("Influenced revenue"),
            "money",
            _(
                "The share of partner revenue credited to touches that helped a deal along: "
                "co-selling, an influencing partner activity. A record typed in as influenced "
                "counts here whole."
            ),
            lambda t: _money(t.get("influenced")),
        ),
        Metric(
            "sourced_share",
            _("Sourced share"),
            "percent",
            _("Sourced revenue ÷ partner revenue, in percent (one decimal, half up)."),
            _sourced_share,
        ),
        Metric(
            "cost",
            _("Cost of the channel"),
            "money",
            _(
                "Discount margin given (each partner's ledger revenue × its tier's discount "
                "margin %) + MDF paid (payouts of the period) + partner-management cost "
                "(allocated by the tenant's cost rule). Not available by product."
            ),
            _cost,
            higher_is_better=False,
        ),
        Metric(
            "ropi",
            _("ROPI"),
            "ratio",
            _(
                "Return on partner investment: partner revenue ÷ cost of the channel, two "
                "decimals, half up (4.25× means 4.25 of revenue for every 1 spent). Compared "
                "with the planned ROPI of the latest financial-model baseline."
            ),
            _ropi,
        ),
        Metric(
            "mdf_paid",
            _("MDF paid"),
            "money",
            _("Market development funds paid to partners in the period (payout dates)."),
            lambda t: None if t.get("by_product") else _money(t.get("mdf_paid")),
            higher_is_better=False,
        ),
        Metric(
            "registrations",
            _("Deals registered"),
            "count",
            _("Deal registrations submitted in the period."),
            lambda t: int(t.get("registrations", 0)),
        ),
        Metric(
            "win_rate",
            _("Win rate"),
            "percent",
            _(
                "Registrations won ÷ registrations closed (won or lost) in the period, in "
                "percent (one decimal, half up)."
            ),
            _win_rate,
        ),
        Metric(
            "certified_people",
            _("Certified people"),
            "count",
            _(
                "Partner people holding at least one valid certification at the end of the "
                "period (today for the current month); expired and revoked ones do not count."
            ),
            lambda t: int(t.get("certified_people", 0)),
        ),
        Metric(
            "certifications_awarded",
            _("Certifications earned"),
            "count",
            _("Certifications awarded to partner people in the period (renewals included)."),
            lambda t: int(t.get("certifications_awarded", 0)),
        ),
        Metric(
            "training_hours",
            _("Training hours"),
            "hours",
            _(
                "Time partner people spent training in the period: completed course modules "
                "and passed quizzes (month of completion) and attended live sessions (month of "
                "the session), in hours, one decimal, half up."
            ),
            _hours,
        ),
        Metric(
            "course_completions",
            _("Courses completed"),
            "count",
            _("Courses partner people completed in the period."),
            lambda t: int(t.get("course_completions", 0)),
        ),
        Metric(
            "logins",
            _("Portal logins"),
            "count",
            _("Logins to the partner portal in the period."),
            lambda t: int(t.get("logins", 0)),
        ),
    )
}

TILES = ("revenue", "ropi", "sourced_share", "registrations", "win_rate", "certified_people")


def change(current: Any, previous: Any) -> Decimal | None:
    """Period-over-period change in percent (one decimal, half up); None without a base."""
    if current is None or previous in (None, 0):
        return None
    return ((Decimal(current) - Decimal(previous)) * HUNDRED / abs(Decimal(previous))).quantize(
        TENTH, ROUND_HALF_UP
    )
