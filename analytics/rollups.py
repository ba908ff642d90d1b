"""The rollup tables: computed from every app's facts, read by every dashboard.

`refresh()` brings the current tenant's rollups up to date:

- **full** (the first run, the nightly job, "Refresh now" with a full rebuild, or after the
  tenant changed how it measures): every partner, every month of the horizon;
- **incremental** (every few minutes): only what changed since the last refresh, with a safety
  margin for transactions that committed late, by (partner, month). Partner rows: each app's
  `months_changed_since` says which months of which partners moved (`partner_scope`).
  Attribution rows: the months the changed revenue records were booked in, for the partners
  touching those records (`credit_scope`). Computed rows are compared with what is stored: a
  row is written only when a number changed, so a run twice in a row writes nothing and a late
  won deal changes only the rows it belongs to.

Attribution spreads each revenue record over the partners that touched its deal, so a new touch
or a new record moves the credit of every partner on the deal: the attribution rows recomputed
are each (partner, month) of a changed record's touchers, each from every record that partner
touched that month.

Months are calendar months in UTC, at most `HORIZON_MONTHS` back (the dashboards' periods lie
inside it). Money is in the program currency; attribution credits keep four decimals.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from dealreg.selectors import facts as deal_facts
from enablement import facts as enablement_facts
from mdf import facts as mdf_facts
from onboarding.selectors import facts as onboarding_facts
from partners.models import LifecycleState
from partners.selectors import facts as partner_facts
from partners.services.currency import convert, exchange_rates
from partners.services.tiers import program_settings
from tenancy.common.months import add_months, month_of, month_start
from tenancy.context import require_current_tenant

from .models import (
    SOURCING_TOUCHES,
    ZERO,
    AttributionModel,
    AttributionMonth,
    CostRule,
    DealTouch,
    PartnerMonth,
    RefreshStatus,
    RollupState,
    TouchKind,
)
from .settings import analytics_settings

HORIZON_MONTHS = 36
SAFETY_MARGIN = timedelta(minutes=5)
# Rows inserted or deleted by one refresh past which the table's statistics are refreshed.
ANALYZE_AFTER_ROWS = 50_000
CREDIT_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")
HUNDRED = Decimal(100)
# Same-moment touches are ordered by what usually comes first.
TOUCH_ORDER = {
    TouchKind.REFERRAL: 0,
    TouchKind.CAMPAIGN_LEAD: 1,
    TouchKind.REGISTERED: 2,
    TouchKind.CO_SELL: 3,
    TouchKind.INFLUENCE: 4,
}


# --- Months ------------------------------------------------------------------------------------


def month_end(month: date) -> datetime:
    """The last moment of the month (the first moment of the next, exclusive), UTC."""
    return month_start(add_months(month, 1))


def horizon(today: date | None = None) -> list[date]:
    current = month_of(today or timezone.now().date())
    return [add_months(current, -offset) for offset in range(HORIZON_MONTHS - 1, -1, -1)]


# --- Attribution ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    at: datetime
    partner_id: int
    kind: str
    sourcing: bool

    @property
    def order(self) -> tuple:
        return (self.at, TOUCH_ORDER.get(self.kind, 9), self.partner_id)


def credits(
    amount: Decimal, touches: list[Touch], model: str, weights: dict[str, int]
) -> list[tuple[Touch, Decimal]]:
    """How `amount` is shared among the touches under `model`: first touch (all to the
    earliest), last touch (all to the latest), linear (equal shares), weighted (shares by the
    kind's weight; equal when every weight is 0). Each share is rounded half up to 1/100 cent."""
    if not touches:
        return []
    ordered = sorted(touches, key=lambda touch: touch.order)
    if model == AttributionModel.FIRST:
        return [(ordered[0], amount)]
    if model == AttributionModel.LAST:
        return [(ordered[-1], amount)]
    if model == AttributionModel.WEIGHTED:
        raw = [Decimal(max(0, int(weights.get(t.kind, 0)))) for t in ordered]
        total = sum(raw)
        if total > 0:
            return [
                (touch, (amount * weight / total).quantize(CREDIT_PLACES, ROUND_HALF_UP))
                for touch, weight in zip(ordered, raw, strict=True)
            ]
    share = (amount / len(ordered)).quantize(CREDIT_PLACES, ROUND_HALF_UP)
    return [(touch, share) for touch in ordered]


def _at(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def _records_touching(partner_ids: Collection[int] | None, since: date) -> list[dict]:
    """Revenue records booked from `since` involving the partners (every record when None):
    those they booked and those of deals they touched (by hand or through a campaign lead)."""
    refs: list[str] = []
    if partner_ids is not None:
        registrations = set(
            DealTouch.objects.filter(partner_id__in=list(partner_ids), removed_at=None)
            .values_list("registration_id", flat=True)
            .order_by()
        )
        registrations |= set(mdf_facts.registrations_from_leads_of(partner_ids))
        refs = list(deal_facts.refs_of(registrations).values())
    return list(partner_facts.revenue_rows(partner_ids, refs=refs, booked_from=since))


def _live_touches(registration_ids: list[int]):
    """(registration id, partner id, kind, date) of the registrations' recorded touches. For
    many registrations (a full refresh: every won deal) the tenant's touches in one query;
    the caller keeps those of its registrations."""
    rows = DealTouch.objects.filter(removed_at=None).order_by()
    fields = ("registration_id", "partner_id", "kind", "touched_on")
    if len(registration_ids) > 20000:
        yield from rows.values_list(*fields)
        return
    for start in range(0, len(registration_ids), 5000):
        chunk = registration_ids[start : start + 5000]
        yield from rows.filter(registration_id__in=chunk).values_list(*fields)


def _touches_of(records: list[dict]) -> dict[int, list[Touch]]:
    """{record id: its touches}. A record deal registration posted has the registering
    partner's touch, the campaign lead's and the recorded ones (only those up to the booking);
    any other record (typed in, imported) has one touch: its partner, of its kind."""
    deals = deal_facts.deals_by_ref([r["external_ref"] for r in records if r["external_ref"]])
    by_registration: dict[int, list[Touch]] = defaultdict(list)
    for deal in deals.values():
        by_registration[deal["id"]].append(
            Touch(_at(deal["at"]), deal["partner_id"], TouchKind.REGISTERED, True)
        )
    registration_ids = list(by_registration)
    for lead in mdf_facts.lead_touches(registration_ids):
        by_registration[lead["registration_id"]].append(
            Touch(_at(lead["at"]), lead["partner_id"], TouchKind.CAMPAIGN_LEAD, True)
        )
    for registration_id, partner_id, kind, touched_on in _live_touches(registration_ids):
        if registration_id in by_registration:
            by_registration[registration_id].append(
                Touch(_at(touched_on), partner_id, kind, kind in SOURCING_TOUCHES)
            )
    touches: dict[int, list[Touch]] = {}
    for record in records:
        deal = deals.get(record["external_ref"]) if record["external_ref"] else None
        if deal is None:
            sourcing = record["kind"] == "sourced"
            kind = TouchKind.REGISTERED if sourcing else TouchKind.INFLUENCE
            touches[record["pk"]] = [
                Touch(_at(record["booked_on"]), record["partner_id"], kind, sourcing)
            ]
            continue
        booked = month_end(record["booked_on"])  # a touch in the booking month still counts
        touches[record["pk"]] = [
            t for t in by_registration[deal["id"]] if t.at < booked
        ] or by_registration[deal["id"]][:1]
        record["deal_region"] = deal["region"]
    return touches


# --- Computing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What an incremental refresh recomputes: every month of some partners (`whole`) and single
    months of others (`months`: (partner id, month) pairs). A rollup row is in scope by its key's
    partner and month."""

    whole: frozenset[int] = frozenset()
    months: frozenset[tuple[int, date]] = frozenset()

    def __contains__(self, key: tuple) -> bool:
        return key[0] in self.whole or (key[0], key[1]) in self.months

    def __bool__(self) -> bool:
        return bool(self.whole or self.months)

    @property
    def partner_ids(self) -> set[int]:
        return set(self.whole) | {partner_id for partner_id, _month in self.months}


@dataclass
class Computed:
    partner_rows: dict[tuple, dict]
    attribution_rows: dict[tuple, dict]
    dims: dict[int, dict]  # every partner's, as now


def _dims(partner_ids: Collection[int] | None) -> dict[int, dict]:
    return {row["id"]: row for row in partner_facts.partner_dimensions(partner_ids)}


def _is_active_in(dims: dict, month: date) -> bool:
    return (
        dims["is_active"]
        and dims["state"] == LifecycleState.ACTIVE
        and dims["created_at"] < month_end(month)
    )


def compute(scope: Scope | None, months: list[date], credit_scope: Scope | None = None) -> Computed:
    """The rollup rows over `months`, as {key: values}: every row when `scope` is None (a full
    refresh), else the partner rows in `scope` and the attribution rows in `credit_scope`
    (default: the same)."""
    in_horizon = set(months)
    currency = program_settings().currency
    rates = exchange_rates(currency)
    config = analytics_settings()
    all_dims = _dims(None)
    partner_ids = None if scope is None else scope.partner_ids
    dims = (
        all_dims if partner_ids is None else {k: all_dims[k] for k in partner_ids if k in all_dims}
    )
    # The months to read: all, or (an incremental refresh) those of the scope.
    wanted = None if scope is None or scope.whole else {month for _p, month in scope.months}
    if wanted is not None:
        in_horizon &= wanted

    rows: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(PartnerMonth.METRICS, 0))

    def add(partner_id, month, field, value):
        if partner_id in dims:
            month = month_of(month)
            if month in in_horizon:
                rows[(partner_id, month)][field] += value

    # Revenue and the margin given on it (the partner's tier's discount).
    revenue = (
        list(partner_facts.revenue_rows(partner_ids, booked_from=months[0], months=wanted))
        if dims
        else []
    )
    for record in revenue:
        if record["partner_id"] in dims:
            pct = dims[record["partner_id"]]["discount_pct"] or ZERO
            add(record["partner_id"], record["booked_on"], "revenue", record["amount"])
            add(
                record["partner_id"],
                record["booked_on"],
                "margin_given",
                record["amount"] * pct / HUNDRED,
            )
    if dims:
        _add_activity(partner_ids, sorted(in_horizon), wanted, currency, rates, add)
    _add_management_cost(rows, dims, all_dims, sorted(in_horizon), config)

    # Round money once, drop empty rows (and, narrowed, the months outside the scope).
    partner_rows = {}
    for key, values in rows.items():
        for field in ("revenue", "margin_given", "mdf_paid", "management_cost"):
            values[field] = Decimal(values[field]).quantize(CENT, ROUND_HALF_UP)
        if any(values.values()) and (scope is None or key in scope):
            partner_rows[key] = values
    if scope is None:
        # Every partner's records are those attribution reads.
        attribution = _attribution(revenue, dims, all_dims, set(months), config)
    else:
        attribution = _scoped_attribution(
            scope if credit_scope is None else credit_scope, months, all_dims, config
        )
    return Computed(partner_rows, attribution, all_dims)


def _add_activity(partner_ids, months, wanted, currency, rates, add) -> None:
    """MDF, deals, logins, training and certifications of the partners, by month (`months`;
    the facts read only `wanted` months when given)."""
    for row in mdf_facts.payouts_by_month(partner_ids, wanted):
        amount = convert(row["amount"], row["currency"], currency, rates=rates)
        if amount is not None:
            add(row["partner_id"], row["month"], "mdf_paid", amount)
    for row in mdf_facts.requests_by_month(partner_ids, wanted):
        add(row["partner_id"], row["month"], "mdf_requests", row["count"])
    field_of = {"submitted": "registrations", "won": "won", "lost": "lost"}
    for row in deal_facts.registration_counts(partner_ids, wanted):
        add(row["partner_id"], row["month"], field_of[row["measure"]], row["count"])
    for row in onboarding_facts.logins_by_month(partner_ids, wanted):
        add(row["partner_id"], row["month"], "logins", row["count"])
    for row in enablement_facts.training_seconds_by_month(partner_ids, wanted):
        add(row["partner_id"], row["month"], "training_seconds", row["seconds"])
    for row in enablement_facts.completions_by_month(partner_ids, wanted):
        add(row["partner_id"], row["month"], "course_completions", row["count"])
    _add_certifications(enablement_facts.award_spans(partner_ids), months, add)


def _scoped_attribution(scope: Scope, months: list[date], all_dims, config) -> dict:
    """The attribution rows in `scope`: computed from every record booked in a month of the
    scope that one of its partners touched (each record with all its touches)."""
    if not scope:
        return {}
    partner_ids = scope.partner_ids
    if scope.whole:
        records = _records_touching(partner_ids, months[0])
    else:
        wanted = {month for _partner, month in scope.months}
        records = [
            record
            for record in _records_touching(partner_ids, min(wanted))
            if month_of(record["booked_on"]) in wanted
        ]
    dims = {k: all_dims[k] for k in partner_ids if k in all_dims}
    rows = _attribution(records, dims, all_dims, set(months), config)
    return {key: values for key, values in rows.items() if key in scope}


def _add_certifications(spans: list[dict], months: list[date], add) -> None:
    now = timezone.now()
    by_partner: dict[int, list[dict]] = defaultdict(list)
    for span in spans:
        by_partner[span["partner_id"]].append(span)
        add(span["partner_id"], span["issued_at"], "certifications_awarded", 1)
    for partner_id, awards in by_partner.items():
        earliest = month_of(min(a["issued_at"] for a in awards))
        for month in months:
            if month < earliest:
                continue
            moment = min(month_end(month), now)
            holders = {
                a["user_id"]
                for a in awards
                if a["issued_at"] < moment
                and a["expires_at"] > moment
                and (a["revoked_at"] is None or a["revoked_at"] > moment)
            }
            if holders:
                add(partner_id, month, "certified_people", len(holders))


def _add_management_cost(rows, dims, all_dims, months, config) -> None:
    manager_cost = config.manager_monthly_cost or ZERO
    program_cost = config.program_monthly_cost or ZERO
    if not manager_cost and not program_cost:
        return
    for month in months:
        active = [d for d in all_dims.values() if _is_active_in(d, month)]
        if not active:
            continue
        if config.cost_rule == CostRule.REVENUE:
            # Needs every partner's revenue of the month: the caller recomputes all partners
            # (see `refresh`), so `rows` holds them all.
            total = sum(
                (rows[(d["id"], month)]["revenue"] for d in active if (d["id"], month) in rows),
                ZERO,
            )
            managers = {d["manager_id"] for d in active if d["manager_id"]}
            pool = manager_cost * len(managers) + program_cost
            if total > 0:
                for d in active:
                    if d["id"] in dims and (d["id"], month) in rows:
                        share = rows[(d["id"], month)]["revenue"] / total
                        rows[(d["id"], month)]["management_cost"] += pool * share
            continue
        managed: dict[int, int] = defaultdict(int)
        for d in active:
            if d["manager_id"]:
                managed[d["manager_id"]] += 1
        if config.cost_rule == CostRule.EQUAL:
            per_partner = (manager_cost * len(managed) + program_cost) / len(active)
            for d in active:
                if d["id"] in dims:
                    rows[(d["id"], month)]["management_cost"] += per_partner
            continue
        overhead = program_cost / len(active)
        for d in active:
            if d["id"] not in dims:
                continue
            cost = overhead
            if d["manager_id"]:
                cost += manager_cost / managed[d["manager_id"]]
            rows[(d["id"], month)]["management_cost"] += cost


def _attribution(records: list[dict], dims, all_dims, in_horizon: set, config) -> dict:
    touches = _touches_of(records)
    weights = config.weights()
    models = AttributionModel.values
    out: dict[tuple, dict] = defaultdict(lambda: {"sourced": ZERO, "influenced": ZERO})
    for record in records:
        month = month_of(record["booked_on"])
        if month not in in_horizon:
            continue
        home = all_dims.get(record["partner_id"], {}).get("region", "")
        region = record.get("deal_region") or home
        product = (record["product"] or "")[:120]
        amount = record["amount"]
        touched = touches[record["pk"]]
        if len(touched) == 1:
            # NOTE: one touch takes the whole amount under every model (what `credits` gives:
            # the amount, or its one share of 1/100 cent precision; amounts are in cents). Most
            # records have one touch; this skips ~a million `credits` calls in a full refresh.
            touch = touched[0]
            if touch.partner_id in dims:
                column = "sourced" if touch.sourcing else "influenced"
                for model in models:
                    out[(touch.partner_id, month, model, region, product)][column] += amount
            continue
        for model in models:
            for touch, credit in credits(amount, touched, model, weights):
                if touch.partner_id not in dims:
                    continue
                key = (touch.partner_id, month, model, region, product)
                out[key]["sourced" if touch.sourcing else "influenced"] += credit
    return dict(out)


# --- Writing ------------------------------------------------------------------------------------


def _write(
    model, computed: dict[tuple, dict], key_fields, scope: Scope | None, dims, months
) -> int:
    """Make the stored rows in `scope` (every row when None) equal to `computed`: insert,
    update what differs, delete what is gone. Returns the number of rows written or deleted."""
    metrics = model.METRICS
    # The partner's dimensions stored with each row; a key's own fields are never rewritten.
    dimensions = tuple(f for f in ("tier_id", "region", "partner_type") if f not in key_fields)
    changing = (*metrics, *dimensions)
    existing_qs = model.objects.filter(month__gte=months[0])
    if scope is not None:
        narrow = Q(partner_id__in=list(scope.whole))
        if scope.months:
            narrow |= Q(
                partner_id__in=list({partner_id for partner_id, _month in scope.months}),
                month__in=sorted({month for _partner_id, month in scope.months}),
            )
        existing_qs = existing_qs.filter(narrow)
    width = len(key_fields)
    # {key: (pk, stored values in `changing` order)}; plain tuples, not dicts or instances (a
    # full refresh compares about a million rows).
    existing = {
        row[1 : 1 + width]: (row[0], row[1 + width :])
        for row in existing_qs.values_list("pk", *key_fields, *changing).order_by()
    }
    if scope is not None:
        existing = {key: found for key, found in existing.items() if key in scope}
    create, update = [], []
    for key, values in computed.items():
        partner = dims[key[0]]
        fresh = (*(values[f] for f in metrics), *(partner[f] for f in dimensions))
        found = existing.pop(key, None)
        if found is None:
            create.append((*key, *fresh))
        elif found[1] != fresh:
            update.append((found[0], *fresh))
    stale = [pk for pk, _values in existing.values()]
    writer = _PostgresWriter if connection.vendor == "postgresql" else _OrmWriter
    writer(model, timezone.now(), width).write(
        create, (*key_fields, *changing), update, changing, stale
    )
    return len(create) + len(update) + len(stale)


class _OrmWriter:
    """Rows written through the ORM (any database)."""

    def __init__(self, model, now: datetime, key_width: int):
        self.model, self.now, self.key_width = model, now, key_width

    def write(self, create, create_fields, update, update_fields, stale) -> None:
        model, now = self.model, self.now
        if create:
            tenant = require_current_tenant()
            model.objects.bulk_create(
                [
                    model(
                        tenant=tenant, computed_at=now, **dict(zip(create_fields, row, strict=True))
                    )
                    for row in create
                ],
                batch_size=2000,
            )
        if update:
            model.objects.bulk_update(
                [
                    model(
                        pk=row[0], computed_at=now, **dict(zip(update_fields, row[1:], strict=True))
                    )
                    for row in update
                ],
                [*update_fields, "computed_at"],
                batch_size=2000,
            )
        for start in range(0, len(stale), 5000):
            model.objects.filter(pk__in=stale[start : start + 5000]).delete()


class _PostgresWriter(_OrmWriter):
    """Rows written with COPY: a full refresh writes about a million rows, which `bulk_create`
    turns into model instances and parameter lists (~0.2 ms a row here), COPY into a few µs.
    Identifiers come from the model's metadata (quoted); values are COPY rows or parameters; the
    tenant is in every WHERE."""

    def _column(self, field: str) -> str:
        return connection.ops.quote_name(self.model._meta.get_field(field).column)

    def _copy(self, table: str, columns: list[str], rows) -> None:
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        connection.ensure_connection()
        # The psycopg 3 connection under Django's, inside the same transaction.
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)

    def write(self, create, create_fields, update, update_fields, stale) -> None:
        quote = connection.ops.quote_name
        table = quote(self.model._meta.db_table)
        tenant_id = require_current_tenant().pk
        if create:
            now = self.now
            # In the unique index's order (the key first): appending to the index's pages is a
            # fraction of the cost of inserting all over it (≈2× faster for a million rows).
            create.sort(key=lambda row: row[: self.key_width])
            columns = [self._column(f) for f in ("tenant", "uuid", "computed_at", *create_fields)]
            self._copy(table, columns, ((tenant_id, uuid.uuid4(), now, *row) for row in create))
        if update:
            # Into a scratch table by COPY, then one UPDATE joined on the primary key (Django's
            # bulk_update builds a CASE WHEN per field and row).
            fields = [self.model._meta.get_field(f) for f in update_fields]
            columns = [quote(f.column) for f in fields]
            scratch = quote(f"{self.model._meta.db_table}_changed")
            declared = ", ".join(
                f"{c} {f.db_type(connection)}" for c, f in zip(columns, fields, strict=True)
            )
            assignments = ", ".join(f"{c} = u.{c}" for c in columns)
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
                cursor.execute(f"CREATE TEMPORARY TABLE {scratch} (id bigint, {declared})")
                self._copy(scratch, ["id", *columns], update)
                cursor.execute(
                    f"UPDATE {table} AS t SET computed_at = %s, {assignments} "  # noqa: S608
                    f"FROM {scratch} AS u WHERE t.id = u.id AND t.tenant_id = %s",
                    [self.now, tenant_id],
                )
                cursor.execute(f"DROP TABLE {scratch}")
        if stale:
            with connection.cursor() as cursor:
                cursor.execute(
                    f"DELETE FROM {table} WHERE id = ANY(%s) AND tenant_id = %s",  # noqa: S608
                    [stale, tenant_id],
                )
        if len(create) + len(stale) > ANALYZE_AFTER_ROWS:
            # WARNING: the planner's statistics must follow a big write at once. A tenant's
            # first full refresh fills an empty table; until autovacuum's analyze comes round
            # (minutes, more on a busy server) the planner takes a million rows for none and the
            # dashboards' sums scan the tenant's every row (~200 ms each instead of ~10).
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {table}")


# --- Refreshing ---------------------------------------------------------------------------------


def rollup_state() -> RollupState:
    state, _created = RollupState.objects.get_or_create()
    return state


def partner_scope(since: datetime, months: list[date]) -> Scope:
    """The partner rows whose figures moved after `since`: each app's `months_changed_since`
    says which (partner, month); a partner with a change in every month (EVERY_MONTH, or one
    before the horizon) is recomputed whole."""
    changed: set[tuple[int, date]] = set()
    for source in (
        partner_facts.months_changed_since,
        deal_facts.months_changed_since,
        mdf_facts.months_changed_since,
        onboarding_facts.months_changed_since,
        enablement_facts.months_changed_since,
    ):
        changed |= source(since)
    whole = {partner_id for partner_id, month in changed if month <= months[0]}
    pairs = {
        (partner_id, month)
        for partner_id, month in changed
        if partner_id is not None and partner_id not in whole and month <= months[-1]
    }
    whole.discard(None)
    return Scope(frozenset(whole), frozenset(pairs))


def credit_scope(since: datetime, whole: Collection[int], first: date) -> Scope:
    """The attribution rows whose credit may have moved after `since`: for each changed revenue
    record, the month it was booked in, for every partner that touches its deal now or touched
    it before (a touch removed since). Changed records are those recorded since and those of
    deals with an event (won, reassigned...) or a touch added or removed since: the ledger's
    records are never edited, so nothing else moves credit. `whole`: partners recomputed in
    every month (their tier changed, and each row carries it)."""
    records = {
        row["pk"]: row for row in partner_facts.revenue_rows(created_after=since, booked_from=first)
    }
    registrations = deal_facts.registrations_changed_since(since)
    former: dict[int, set[int]] = defaultdict(set)
    touched = DealTouch.objects.filter(Q(created_at__gt=since) | Q(removed_at__gt=since))
    for registration_id, partner_id in touched.values_list("registration_id", "partner_id"):
        registrations.add(registration_id)
        former[registration_id].add(partner_id)
    refs = deal_facts.refs_of(registrations)
    for row in partner_facts.revenue_rows((), refs=refs.values(), booked_from=first):
        records[row["pk"]] = row
    registration_of = {ref: pk for pk, ref in refs.items()}
    changed = list(records.values())
    touches = _touches_of(changed)
    pairs = set()
    for record in changed:
        month = month_of(record["booked_on"])
        partners = {touch.partner_id for touch in touches[record["pk"]]}
        partners |= former.get(registration_of.get(record["external_ref"]), set())
        pairs |= {(partner_id, month) for partner_id in partners}
    return Scope(frozenset(whole), frozenset(pairs))


@dataclass
class RefreshResult:
    kind: str
    partners: int
    rows_written: int
    seconds: float


def refresh(*, full: bool = False, extra_partner_ids: Iterable[int] = ()) -> RefreshResult:
    """Bring the current tenant's rollups up to date (see the module's docstring)."""
    started = time.monotonic()
    now = timezone.now()
    with transaction.atomic():
        state = RollupState.objects.select_for_update().filter(pk=rollup_state().pk).get()
        months = horizon(now.date())
        full = full or state.watermark is None or state.full_refreshed_at is None
        if not full and analytics_settings().changed_at > state.watermark:
            full = True  # weights, cost rule or costs changed: every row may differ
        rows_scope: Scope | None = None  # None: every row (a full refresh)
        credits_scope: Scope | None = None
        if not full:
            since = state.watermark - SAFETY_MARGIN
            extra = frozenset(extra_partner_ids)
            rows_scope = partner_scope(since, months)
            rows_scope = Scope(rows_scope.whole | extra, rows_scope.months)
            if analytics_settings().cost_rule == CostRule.REVENUE and rows_scope:
                full = True  # every partner's share of the month's revenue moves
                rows_scope = None
            else:
                credits_scope = credit_scope(
                    since, partner_facts.tier_changed_since(since) | extra, months[0]
                )
        written = 0
        count = 0
        if full or rows_scope or credits_scope:
            computed = compute(rows_scope, months, credit_scope=credits_scope)
            dims = computed.dims
            written += _write(
                PartnerMonth,
                computed.partner_rows,
                ("partner_id", "month"),
                rows_scope,
                dims,
                months,
            )
            written += _write(
                AttributionMonth,
                computed.attribution_rows,
                ("partner_id", "month", "model", "region", "product"),
                credits_scope,
                dims,
                months,
            )
            count = len(dims) if full else len(rows_scope.partner_ids | credits_scope.partner_ids)
        seconds = time.monotonic() - started
        kind = "full" if full else "incremental"
        state.status = RefreshStatus.DONE
        state.watermark = now
        state.refreshed_at = timezone.now()
        if kind == "full":
            state.full_refreshed_at = state.refreshed_at
        state.last_kind = kind
        state.last_duration_ms = int(seconds * 1000)
        state.last_partners = count
        state.last_rows_written = written
        if written or kind == "full":
            state.version += 1  # the cached figures (metrics.figures) are stale
        state.error = ""
        state.products = list(
            AttributionMonth.objects.exclude(product="")
            .order_by("product")
            .values_list("product", flat=True)
            .distinct()
        )
        state.save()
    return RefreshResult(kind, count, written, seconds)
