"""Customer lifetime value (CLTV) and customer acquisition cost (CAC), through partners vs direct,
defined once.

Customers are the names on the revenue ledgers — the partners' (`partners.RevenueRecord`) and
the direct sales team's (`DirectRevenue`) — case and spaces ignored. A customer is *won* in the
month of its first revenue on either ledger, by the channel of that revenue (a tie goes to the
partners). `refresh()` counts, per month and channel, into `CustomerMonth` (with the nightly full
rollup refresh and when direct revenue is loaded); pages read those rows.

For a period and a channel (`VALUE_METRICS`):
- acquisition cost: partners — MDF paid + partner-management cost (both from the rollups) +
  channel marketing cost per month × months; direct — (direct marketing + direct sales cost per
  month) × months;
- CAC = acquisition cost ÷ customers won in the period (half up to the cent);
- revenue per customer per year = revenue of the 12 months to the period's end ÷ customers
  buying in them;
- the vendor keeps, through partners, revenue less the partners' margin (the margin given ÷
  revenue of those 12 months, from the rollups); direct, all of it;
- yearly customer churn = customers buying in the 12 months before those 12 who bought nothing
  in them ÷ customers buying then; lifetime = 1 ÷ churn years, at most the tenant's longest
  lifetime (and that when nobody left);
- CLTV = revenue per customer per year × share kept × gross margin % × lifetime (half up to
  the cent); CLTV : CAC = CLTV ÷ CAC (half up to two decimals).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.selectors.facts import by_customer_month, revenue_by_customer_month
from partners.services.currency import exchange_rates
from partners.services.tiers import program_settings
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.currencies import is_currency
from tenancy.context import require_current_tenant

from .metrics import Filters, Metric, figures
from .models import CustomerMonth, DirectRevenue, SalesChannel
from .rollups import add_months, horizon, month_of
from .settings import analytics_settings

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
WINDOW = 12  # months


# --- Counting (with the rollups) -----------------------------------------------------------------


def _index(month: date) -> int:
    return month.year * 12 + month.month - 1


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def compute(months: list[date]) -> dict[tuple[date, str], dict]:
    """{(month, channel): counts} for `months` (two grouped queries over the ledgers)."""
    currency = program_settings().currency
    rates = exchange_rates(currency)
    ledgers = {
        SalesChannel.CHANNEL: revenue_by_customer_month(),
        SalesChannel.DIRECT: by_customer_month(DirectRevenue.objects.all()),
    }
    active: dict[str, dict[str, set[int]]] = {}
    revenue: dict[str, dict[int, Decimal]] = {}
    first: dict[str, tuple[int, int]] = {}  # customer -> (month index, 0 partners / 1 direct)
    for rank, (channel, rows) in enumerate(ledgers.items()):
        active[channel] = defaultdict(set)
        revenue[channel] = defaultdict(Decimal)
        for customer, month, row_currency, total in rows:
            index = _index(_as_date(month))
            active[channel][customer].add(index)
            rate = rates.get(row_currency)
            if rate is not None and total:
                revenue[channel][index] += Decimal(total) * rate
            seen = first.get(customer)
            if seen is None or (index, rank) < seen:
                first[customer] = (index, rank)
    ranks = list(ledgers)
    wanted = [_index(m) for m in months]
    out: dict[tuple[date, str], dict] = {}
    for channel in ledgers:
        counts = {i: dict.fromkeys(("customers_12m", "base_12m", "lost_12m"), 0) for i in wanted}
        for indices in active[channel].values():
            covered: set[int] = set()  # the window ends (months) this customer is active in
            for i in indices:
                covered.update(range(i, i + WINDOW))
            for i in wanted:
                here = i in covered
                if here:
                    counts[i]["customers_12m"] += 1
                if i - WINDOW in covered:
                    counts[i]["base_12m"] += 1
                    if not here:
                        counts[i]["lost_12m"] += 1
        won: dict[int, int] = defaultdict(int)
        for index, rank in first.values():
            if ranks[rank] == channel:
                won[index] += 1
        for month, i in zip(months, wanted, strict=True):
            total = sum((revenue[channel].get(j, Decimal(0)) for j in range(i - WINDOW + 1, i + 1)),
                        Decimal(0))  # fmt: skip
            out[(month, channel)] = {
                **counts[i],
                "new_customers": won.get(i, 0),
                "revenue_12m": total.quantize(CENT, ROUND_HALF_UP),
            }
    return out


@transaction.atomic
def refresh(today: date | None = None) -> int:
    """Recount the horizon's months (rows written only where a number changed)."""
    months = horizon(today)
    computed = compute(months)
    existing = {(row.month, row.channel): row for row in CustomerMonth.objects.all()}
    fields = ("new_customers", "customers_12m", "revenue_12m", "base_12m", "lost_12m")
    now = timezone.now()
    tenant = require_current_tenant()
    create, update = [], []
    for key, values in computed.items():
        row = existing.pop(key, None)
        if row is None:
            create.append(
                CustomerMonth(
                    tenant=tenant, month=key[0], channel=key[1], computed_at=now, **values
                )
            )
        elif any(getattr(row, f) != values[f] for f in fields):
            for f in fields:
                setattr(row, f, values[f])
            row.computed_at = now
            update.append(row)
    CustomerMonth.objects.bulk_create(create)
    CustomerMonth.objects.bulk_update(update, [*fields, "computed_at"])
    stale = [row.pk for row in existing.values() if row.month < months[0]]
    CustomerMonth.objects.filter(pk__in=stale).delete()
    return len(create) + len(update)


def needs_refresh() -> bool:
    return not CustomerMonth.objects.exists()


# --- The figures ---------------------------------------------------------------------------------


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(CENT, ROUND_HALF_UP)


def _div(a, b) -> Decimal | None:
    return None if not b else Decimal(a) / Decimal(b)


def _cac(s: dict) -> Decimal | None:
    return _money(_div(s["acquisition_cost"], s["new_customers"]))


def _revenue_per_customer(s: dict) -> Decimal | None:
    return _money(_div(s["revenue_12m"], s["customers_12m"]))


def _churn(s: dict) -> Decimal | None:
    rate = _div(s["lost_12m"] * HUNDRED, s["base_12m"])
    return None if rate is None else rate.quantize(Decimal("0.1"), ROUND_HALF_UP)


def _lifetime(s: dict) -> Decimal:
    """Years (unrounded): 1 ÷ yearly churn, capped."""
    cap = Decimal(s["max_lifetime_years"])
    if not s["base_12m"] or not s["lost_12m"]:
        return cap
    return min(Decimal(s["base_12m"]) / Decimal(s["lost_12m"]), cap)


def _cltv(s: dict) -> Decimal | None:
    per_year = _div(s["revenue_12m"], s["customers_12m"])
    if per_year is None:
        return None
    kept = Decimal(1) - Decimal(s["margin_share"])
    margin = Decimal(s["gross_margin_percent"]) / HUNDRED
    return _money(per_year * kept * margin * _lifetime(s))


def _ratio(s: dict) -> Decimal | None:
    cltv, cac = _cltv(s), _cac(s)
    if cltv is None or not cac:
        return None
    return (cltv / cac).quantize(CENT, ROUND_HALF_UP)


VALUE_METRICS = {
    m.key: m
    for m in (
        Metric(
            "cltv",
            gettext_lazy("Customer lifetime value"),
            "money",
            gettext_lazy(
                "Revenue per customer per year × the share the vendor keeps (through partners: "
                "less the partners' margin) × gross margin % × customer lifetime in years; half "
                "up to the cent."
            ),
            _cltv,
        ),
        Metric(
            "cac",
            gettext_lazy("Customer acquisition cost"),
            "money",
            gettext_lazy(
                "What winning customers cost in the period ÷ customers won in it. Through "
                "partners: MDF paid + partner-management cost + channel marketing; direct: "
                "direct marketing + direct sales cost. Half up to the cent."
            ),
            _cac,
        ),
        Metric(
            "cltv_cac",
            gettext_lazy("Lifetime value ÷ acquisition cost"),
            "ratio",
            gettext_lazy("CLTV ÷ CAC, half up to two decimals (3 or more is usually healthy)."),
            _ratio,
        ),
        Metric(
            "new_customers",
            gettext_lazy("Customers won"),
            "count",
            gettext_lazy(
                "Customers whose first revenue on either ledger was booked in the period, by "
                "the channel of that revenue."
            ),
            lambda s: s["new_customers"],
        ),
        Metric(
            "acquisition_cost",
            gettext_lazy("Acquisition cost"),
            "money",
            gettext_lazy("The period's cost of winning customers (see CAC)."),
            lambda s: _money(s["acquisition_cost"]),
        ),
        Metric(
            "revenue_per_customer",
            gettext_lazy("Revenue per customer per year"),
            "money",
            gettext_lazy(
                "Revenue of the 12 months to the period's end ÷ customers buying in them."
            ),
            _revenue_per_customer,
        ),
        Metric(
            "customer_churn",
            gettext_lazy("Yearly customer churn"),
            "percent",
            gettext_lazy(
                "Of the customers buying in the 12 months before the last 12, the % who bought "
                "nothing in the last 12; half up to one decimal."
            ),
            _churn,
        ),
        Metric(
            "lifetime_years",
            gettext_lazy("Customer lifetime"),
            "years",
            gettext_lazy(
                "1 ÷ yearly customer churn, in years, at most the longest lifetime set in the "
                "measurement settings (and that when no customer left); one decimal."
            ),
            lambda s: _lifetime(s).quantize(Decimal("0.1"), ROUND_HALF_UP),
        ),
    )
}


def may_read(actor: Actor) -> bool:
    """Program-wide figures: for those who see every partner."""
    return actor.has(Perm.ANALYTICS_VIEW) and access.sees_every_partner(actor)


def sums(actor: Actor, f: Filters) -> dict[str, dict]:
    """{channel: the sums the VALUE_METRICS read} for the period (program-wide). Four queries."""
    if not may_read(actor):
        return {}
    config = analytics_settings()
    months = f.months
    rows = CustomerMonth.objects.filter(month__gte=f.start, month__lte=f.end).values(
        "month", "channel", "new_customers", "customers_12m", "revenue_12m", "base_12m",
        "lost_12m",
    )  # fmt: skip
    period = replace(f, region="", tier_id=None, partner_type="", product="", partner_id=None)
    partner_costs = figures(actor, period)[None]
    year = replace(period, start=add_months(f.end, -(WINDOW - 1)))
    partner_year = figures(actor, year)[None]
    margin_share = _div(partner_year.get("margin_given", 0), partner_year.get("revenue", 0))
    out = {}
    for channel in SalesChannel.values:
        mine = [r for r in rows if r["channel"] == channel]
        last = next((r for r in mine if r["month"] == f.end), None) or {}
        if channel == SalesChannel.CHANNEL:
            cost = (
                Decimal(partner_costs.get("mdf_paid", 0))
                + Decimal(partner_costs.get("management_cost", 0))
                + config.channel_marketing_monthly_cost * months
            )
        else:
            cost = (config.direct_marketing_monthly_cost + config.direct_sales_monthly_cost) * (
                months
            )
        out[channel] = {
            "new_customers": sum(r["new_customers"] for r in mine),
            "acquisition_cost": cost,
            "customers_12m": last.get("customers_12m", 0),
            "revenue_12m": last.get("revenue_12m", Decimal(0)),
            "base_12m": last.get("base_12m", 0),
            "lost_12m": last.get("lost_12m", 0),
            "margin_share": (margin_share or Decimal(0))
            if channel == SalesChannel.CHANNEL
            else Decimal(0),
            "gross_margin_percent": config.gross_margin_percent,
            "max_lifetime_years": config.max_lifetime_years,
        }
    return out


# --- Direct revenue from a CSV -------------------------------------------------------------------

MAX_ROWS = 50_000
REQUIRED = ("customer", "amount", "currency", "date")


def parse_direct_revenue(data: bytes) -> list[dict]:
    """The CSV's rows, checked; every problem is reported with its line (nothing is loaded
    when there is one)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text (save it as CSV UTF-8).")) from None
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [h for h in REQUIRED if h not in headers]
    if missing:
        raise ValidationError(
            _("The file lacks the column(s): %(columns)s.") % {"columns": ", ".join(missing)}
        )
    rows, errors = [], []
    for line, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        if not any(row.values()):
            continue
        problems = []
        if not row["customer"]:
            problems.append(_("customer is empty"))
        try:
            amount = Decimal(row["amount"].replace(",", ""))
            if not amount.is_finite() or abs(amount) >= Decimal("1e12"):
                raise InvalidOperation
        except InvalidOperation:
            problems.append(_("amount is not a number"))
            amount = None
        currency = row["currency"].upper()
        if not is_currency(currency):
            problems.append(_("currency is not an ISO code such as USD"))
        try:
            booked_on = date.fromisoformat(row["date"])
        except ValueError:
            problems.append(_("date is not a date as YYYY-MM-DD"))
            booked_on = None
        if problems:
            errors.append(_("Line %(line)s: %(problems)s.") % {
                "line": line, "problems": "; ".join(str(p) for p in problems)})  # fmt: skip
            continue
        rows.append(
            {
                "customer": row["customer"][:200],
                "product": row.get("product", "")[:120],
                "amount": amount.quantize(CENT, ROUND_HALF_UP),
                "currency": currency,
                "booked_on": booked_on,
                "external_ref": row.get("reference", "")[:120],
            }
        )
        if len(rows) > MAX_ROWS:
            raise ValidationError(_("Load %(max)s rows at most per file.") % {"max": MAX_ROWS})
    if errors:
        shown = errors[:20]
        if len(errors) > len(shown):
            shown.append(_("… and %(count)s more.") % {"count": len(errors) - len(shown)})
        raise ValidationError(shown)
    if not rows:
        raise ValidationError(_("The file has no rows."))
    return rows


@transaction.atomic
def direct_revenue_load(*, actor: Actor, rows: list[dict]) -> tuple[int, int]:
    """Add the rows (those whose reference is already loaded are skipped) and recount the
    customer figures: (added, skipped)."""
    access.require(actor, Perm.ANALYTICS_MANAGE)
    refs = {r["external_ref"] for r in rows if r["external_ref"]}
    known = set(
        DirectRevenue.objects.filter(external_ref__in=refs).values_list("external_ref", flat=True)
    )
    new = [r for r in rows if not r["external_ref"] or r["external_ref"] not in known]
    DirectRevenue.objects.bulk_create(
        [DirectRevenue(tenant=require_current_tenant(), created_by=actor.user, **r) for r in new]
    )
    refresh()
    latest = DirectRevenue.objects.order_by("-id").first()
    if latest is not None:
        audit_record(
            actor=actor,
            action="analytics.direct_revenue_loaded",
            target=latest,
            changes={"added": len(new), "skipped": len(rows) - len(new)},
        )
    return len(new), len(rows) - len(new)


def last_month(today: date | None = None) -> date:
    return month_of(today or timezone.now().date())
