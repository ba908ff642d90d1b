"""Benchmark: MDF's tier-rule allocation run at 5,000 partners, and the partner's balance page
under concurrent load.

    .venv/bin/python bench/mdf.py                     # SQLite (≈1.5 min; the first run migrates)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench_mdf \\
        REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/mdf.py      # PostgreSQL + Redis
    .venv/bin/python bench/mdf.py --partners 5000 --small 500 --connections 1,4,16 --seconds 10

Data: a benchmark-only database, emptied (`flush`) and built again at every run. Without
DATABASE_URL it is SQLite in <temp>/prm-bench-mdf/ (PRM_DATA_DIR: the cache, broker and media of
this process and the server go there too, never var/); with it, the PostgreSQL database it names,
created if missing (the name must contain "bench": it is emptied). Both are kept between runs so
migrations run once. Two tenants, built set-based: `--small` and `--partners` active partners in
three MDF-eligible tiers (2-4 % of trailing revenue), each with revenue records in and outside
the 12-month window.

Prints:
1. `mdf.services.ledger.allocations_run` (the console's "Apply tier rules") for `--small` and
   `--partners` partners: wall time (`--repeat` first runs, each into a new fund, then a re-run
   after 10 % of the partners booked more revenue) and the SQL statements sent, by kind. The
   statements other than the row batches (INSERT of allocations and ledger entries, the bulk
   UPDATE of changed allocations) are the same at both sizes; the batches grow with the rows:
   1,000 rows each on PostgreSQL, fewer on SQLite (999 parameters per statement: ~76 allocations).
2. The partner's MDF balance page (`portal_mdf`, /portal/mdf/) in the large tenant: every partner
   has `--other-requests` requests, the measured partner `--page-requests` (in every status, with
   their ledger entries, events, claims and payouts: hundreds of entries for the page's chart).
   Queries per page, in process (Django's test client), for the measured partner and for one
   with 2 requests: the same number = flat in requests and ledger entries. Then the page served
   by gunicorn (`--workers` sync workers; production settings on PostgreSQL + Redis, else the
   local ones with DEBUG off) under load from wrk in a separate process (bench/load.py's Lua
   script: non-2xx answers and socket errors count as errors), a 3 s warm-up, then `--seconds`
   per round at each of `--connections` (3 s apart, so a round never waits on the last one's
   queued requests): requests/s, p50/p95/p99 ms, errors, and whether p95 <= 100 ms (the
   issue's target).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import types
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The project first: this file's own folder would otherwise make `import mdf` import this file.
sys.path.insert(0, str(ROOT))

SECRET_KEY = "bench-mdf-not-a-secret-" + "x" * 40
BASE_DOMAIN = "localhost"
# Kept between runs (the SQLite database is migrated once, then emptied at each run); never var/.
DATA_DIR = Path(tempfile.gettempdir()) / "prm-bench-mdf"
TARGET_P95_MS = 100.0
DRAIN_SECONDS = 3
CENT = Decimal("0.01")
# Requests cycle through these statuses (every list and total of the page has rows of each).
STATUS_CYCLE = (
    "manager_review",
    "approved",
    "completed",
    "claimed",
    "rejected",
    "completed",
    "changes_requested",
    "completed",
    "withdrawn",
    "closed",
    "marketing_review",
    "approved",
)


# --- Data, set-based (also used by bench/load.py) ----------------------------------------------


def bulk_allocate(fund, partners, amount: Decimal, *, by=None, now: datetime | None = None):
    """Allocate `amount` of `fund` to every partner by hand, set-based: the allocations, their
    ALLOCATED ledger entries and the fund's unallocated budget (what `allocation_set` does one
    partner at a time). Returns the allocations."""
    from django.db.models import F

    from mdf.models import Allocation, AllocationBasis, EntryKind, Fund, LedgerEntry

    now = now or _now()
    rows = Allocation.objects.bulk_create(
        [
            Allocation(
                tenant_id=fund.tenant_id,
                fund=fund,
                partner=partner,
                basis=AllocationBasis.MANUAL,
                basis_note="Bench allocation",
                allocated=amount,
                available=amount,
                updated_at=now,
            )
            for partner in partners
        ],
        batch_size=1000,
    )
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(
                tenant_id=fund.tenant_id,
                allocation=allocation,
                kind=EntryKind.ALLOCATED,
                amount=amount,
                note="Bench allocation",
                created_by=by,
                created_at=datetime.combine(fund.starts_on, datetime.min.time(), now.tzinfo),
            )
            for allocation in rows
        ],
        batch_size=1000,
    )
    Fund.objects.filter(pk=fund.pk).update(unallocated=F("unallocated") - amount * len(rows))
    return rows


def bulk_requests(allocations_and_counts, *, by, seed: int = 7) -> int:
    """Fund requests for each (allocation, count), set-based, in every status of STATUS_CYCLE
    with the ledger entries, timeline events, claims and payouts each status implies, and the
    allocations' totals moved to match (what the services would have written; each request is
    at most 1/(count + 1) of what the allocation has available). Returns the requests written."""
    from django.db.models import Case, DecimalField, F, Value, When

    from mdf.models import (
        Allocation,
        Claim,
        ClaimStatus,
        EntryKind,
        FundRequest,
        LedgerEntry,
        Payout,
        PayoutMethod,
        RequestEvent,
    )
    from mdf.models.funds import entry_effects

    rng = random.Random(seed)
    now = _now()
    requests, plans = [], []  # plans: (request, allocation, status, submitted, decided)
    for allocation, count in allocations_and_counts:
        fund = allocation.fund
        if count <= 0 or allocation.available < count:
            continue
        each = min(Decimal("5000"), allocation.available / (count + 1)).quantize(CENT)
        start = datetime.combine(fund.starts_on, datetime.min.time(), now.tzinfo)
        span = max(60.0, (min(now, start + timedelta(days=90)) - start).total_seconds() - 3600)
        for i in range(count):
            status = STATUS_CYCLE[i % len(STATUS_CYCLE)]
            submitted = start + timedelta(seconds=rng.uniform(0, span))
            decided = min(now, submitted + timedelta(hours=rng.randint(2, 72)))
            amount = max(CENT, (each * Decimal(rng.randint(60, 100)) / 100).quantize(CENT))
            starts_on = max(fund.starts_on, now.date())
            approved = status in ("approved", "claimed", "completed", "closed")
            request = FundRequest(
                tenant_id=allocation.tenant_id,
                allocation=allocation,
                partner_id=allocation.partner_id,
                title=f"{rng.choice(ACTIVITIES)} {i + 1}",
                activity_type=rng.choice(["event", "webinar", "digital", "email", "trade_show"]),
                starts_on=starts_on,
                ends_on=starts_on + timedelta(days=rng.randint(0, 3)),
                amount=amount,
                currency=fund.currency,
                expected_leads=rng.randint(5, 80),
                expected_pipeline=amount * 20,
                description="A bench activity.",
                status=status,
                approved_amount=amount if approved else None,
                claim_deadline=starts_on + timedelta(days=fund.claim_days + 3)
                if approved
                else None,
                submitted_by=by,
                submitted_at=submitted,
                updated_at=decided,
                decided_at=decided
                if status not in ("manager_review", "marketing_review")
                else None,
            )
            requests.append(request)
            plans.append((request, allocation, status, submitted, decided))
    FundRequest.objects.bulk_create(requests, batch_size=1000)

    claims, entries, events = [], [], []
    totals: dict[int, Counter] = {}
    for request, allocation, status, submitted, decided in plans:
        tenant_id, amount = allocation.tenant_id, request.amount

        def entry(
            kind, at, released_from="", request=request, allocation=allocation, amount=amount
        ):
            entries.append(
                LedgerEntry(
                    tenant_id=allocation.tenant_id,
                    allocation=allocation,
                    kind=kind,
                    amount=amount,
                    released_from=released_from,
                    request=request,
                    created_by=by,
                    created_at=at,
                )
            )
            for column, sign in entry_effects(kind, released_from).items():
                totals.setdefault(allocation.pk, Counter())[column] += sign * amount

        def event(action, at, request=request, tenant_id=tenant_id):
            events.append(
                RequestEvent(
                    tenant_id=tenant_id, request=request, action=action, by=by, by_label="", at=at
                )
            )

        entry(EntryKind.HELD, submitted)
        event("submitted", submitted)
        if status in ("rejected", "withdrawn"):
            entry(EntryKind.RELEASED, decided, "held")
            event(status, decided)
        elif status == "changes_requested":
            event("changes_requested", decided)
        elif request.approved_amount is not None:
            entry(EntryKind.COMMITTED, decided)
            event("approved", decided)
            if status == "closed":
                entry(EntryKind.RELEASED, decided, "committed")
                event("closed", decided)
            elif status in ("claimed", "completed"):
                claims.append(
                    Claim(
                        tenant_id=tenant_id,
                        request=request,
                        partner_id=request.partner_id,
                        spent=amount,
                        spent_currency=request.currency,
                        amount=amount,
                        leads=request.expected_leads,
                        status=ClaimStatus.PAID if status == "completed" else ClaimStatus.SUBMITTED,
                        approved_amount=amount if status == "completed" else None,
                        submitted_by=by,
                        submitted_at=decided,
                        decided_at=decided if status == "completed" else None,
                    )
                )
                event("claim_submitted", decided)
                if status == "completed":
                    entry(EntryKind.PAID, decided)
                    event("claim_approved", decided)
                    event("paid", decided)
    Claim.objects.bulk_create(claims, batch_size=1000)
    Payout.objects.bulk_create(
        [
            Payout(
                tenant_id=claim.tenant_id,
                claim=claim,
                partner_id=claim.partner_id,
                amount=claim.amount,
                currency=claim.spent_currency,
                method=PayoutMethod.BANK_TRANSFER,
                reference=f"BENCH-{claim.request_id}",
                paid_on=claim.decided_at.date(),
                recorded_by=by,
                recorded_at=claim.decided_at,
            )
            for claim in claims
            if claim.status == ClaimStatus.PAID
        ],
        batch_size=1000,
    )
    LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    RequestEvent.objects.bulk_create(events, batch_size=2000)
    # The allocations' totals, one UPDATE per batch of allocations (CASE per column).
    ids = list(totals)
    for first in range(0, len(ids), 500):
        batch = ids[first : first + 500]
        changes = {}
        for column in ("held", "committed", "paid", "available"):
            whens = [When(pk=pk, then=Value(Decimal(totals[pk][column]))) for pk in batch]
            changes[column] = F(column) + Case(
                *whens, default=Value(Decimal("0")), output_field=DecimalField()
            )
        Allocation.objects.filter(pk__in=batch).update(**changes, updated_at=now)
    return len(requests)


ACTIVITIES = ("Kubernetes day", "Webinar series", "Trade show stand", "Email nurture", "Roadshow")


def _now() -> datetime:
    from django.utils import timezone

    return timezone.now()


# --- The benchmark's own data set --------------------------------------------------------------


def build_tenant(slug: str, partner_count: int, rng: random.Random) -> dict:
    """A tenant with `partner_count` active partners in MDF-eligible tiers, revenue in (and
    outside) the trailing window, a marketing user (runs the allocations), a channel manager and
    two partner admins (the measured partner, partner 0, and a light one, partner 1)."""
    from django.contrib.auth.hashers import make_password

    from partners.models import PartnerOrganization, ProgramSettings, RevenueRecord, Tier
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant, User
    from tenancy.roles import Role

    today = date.today()
    password = make_password("bench-pass-2026")
    tenant = Tenant.objects.create(name=f"Bench {slug}", slug=slug)
    with tenant_context(tenant):
        ProgramSettings.objects.create(tenant=tenant, currency="USD")
        tiers = [
            Tier.objects.create(
                tenant=tenant, name=name, rank=rank, mdf_eligible=True, mdf_share_pct=Decimal(pct)
            )
            for name, rank, pct in (("Silver", 1, "2"), ("Gold", 2, "3"), ("Platinum", 3, "4"))
        ]
        users = {}
        for local, role in (("marketing", Role.MARKETING), ("manager", Role.CHANNEL_MANAGER)):
            users[local] = User.objects.create(email=f"{local}@{slug}.test", password=password)
            Membership.objects.create(tenant=tenant, user=users[local], role=role)
        partners = PartnerOrganization.objects.bulk_create(
            [
                PartnerOrganization(
                    tenant=tenant,
                    name=f"Bench Partner {i:05d}",
                    partner_type="reseller",
                    state="active",
                    channel_manager=users["manager"],
                    tier=tiers[i % 3],
                    regions=["EMEA"],
                )
                for i in range(partner_count)
            ],
            batch_size=2000,
        )
        for local, partner in (("partner", partners[0]), ("partner-light", partners[1])):
            users[local] = User.objects.create(email=f"{local}@{slug}.test", password=password)
            Membership.objects.create(
                tenant=tenant,
                user=users[local],
                role=Role.PARTNER_ADMIN,
                partner_organization=partner,
            )
        revenue = []
        for i, partner in enumerate(partners):
            # Two bookings in the 12-month window, one before it (not counted).
            for days in (rng.randint(5, 150), rng.randint(151, 330), rng.randint(400, 700)):
                revenue.append(
                    RevenueRecord(
                        tenant=tenant,
                        partner=partner,
                        kind="sourced",
                        customer=f"Customer {i}",
                        amount=Decimal(rng.randrange(20_000, 600_000, 100)),
                        currency="USD",
                        booked_on=today - timedelta(days=days),
                    )
                )
        RevenueRecord.objects.bulk_create(revenue, batch_size=5000)
        # The measured partners request funds, so they have unlocked MDF (the default gate: the
        # 101 course): their onboarding milestone is reached, as for any partner with requests.
        from onboarding.models import Milestone

        Milestone.objects.bulk_create(
            [
                Milestone(tenant=tenant, partner=partner, key="training_101", reached_at=_now())
                for partner in partners[:2]
            ]
        )
    return {"tenant": tenant, "partners": partners, "users": users}


def _quarter_start(day: date, back: int = 0) -> date:
    month = 3 * ((day.month - 1) // 3) + 1 - 3 * back
    year = day.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1)


def make_fund(world: dict, name: str, quarters_back: int):
    from mdf.models import CarryOver, FundPeriod
    from mdf.services import ledger
    from tenancy.access import actor_for_user
    from tenancy.context import tenant_context

    start = _quarter_start(date.today(), quarters_back)
    end = _quarter_start(start + timedelta(days=100)) - timedelta(days=1)
    with tenant_context(world["tenant"]):
        marketing = actor_for_user(world["users"]["marketing"], world["tenant"])
        return ledger.fund_create(
            actor=marketing,
            name=name,
            period=FundPeriod.QUARTER,
            starts_on=start,
            ends_on=end,
            budget=Decimal("5000000000"),
            carry_over=CarryOver.NONE,
        )


class StatementCounter:
    """Counts the SQL statements sent, by their first word (and the table INSERTs go to)."""

    def __init__(self):
        self.kinds: Counter = Counter()

    def __call__(self, execute, sql, params, many, context):
        words = sql.lstrip().split(None, 3)
        kind = words[0].upper() if words else "?"
        if kind in ("INSERT", "UPDATE") and len(words) > 2:
            table = words[2] if kind == "INSERT" else words[1]
            kind = kind + " " + table.strip('"')
        self.kinds[kind] += 1
        return execute(sql, params, many, context)

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    def batched(self) -> int:
        """INSERTs of allocations and ledger entries and the allocations' bulk UPDATE: one per
        batch of rows."""
        return sum(
            n
            for kind, n in self.kinds.items()
            if kind in ("INSERT mdf_allocation", "INSERT mdf_ledgerentry", "UPDATE mdf_allocation")
        )


def timed_run(world: dict, fund) -> tuple[float, StatementCounter, object]:
    from django.db import connection

    from mdf.services import ledger
    from tenancy.access import actor_for_user
    from tenancy.context import tenant_context

    counter = StatementCounter()
    with tenant_context(world["tenant"]):
        marketing = actor_for_user(world["users"]["marketing"], world["tenant"])
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            run = ledger.allocations_run(actor=marketing, fund=fund)
            elapsed = time.perf_counter() - started
    return elapsed, counter, run


def measure_runs(world: dict, repeat: int, *, current_last: bool) -> dict:
    """`repeat` first runs (each into a new fund: the last one this quarter's if `current_last`),
    then a re-run of the last fund after 10 % of the partners booked more revenue."""
    from partners.models import RevenueRecord
    from tenancy.context import tenant_context

    firsts = []
    fund = None
    for k in range(repeat):
        back = 0 if current_last and k == repeat - 1 else repeat - k + 1
        fund = make_fund(world, f"MDF run {k + 1} ({_quarter_start(date.today(), back)})", back)
        firsts.append(timed_run(world, fund))
    with tenant_context(world["tenant"]):
        RevenueRecord.objects.bulk_create(
            [
                RevenueRecord(
                    tenant=world["tenant"],
                    partner=partner,
                    kind="sourced",
                    customer="Late booking",
                    amount=Decimal("50000"),
                    currency="USD",
                    booked_on=date.today() - timedelta(days=1),
                )
                for partner in world["partners"][::10]
            ],
            batch_size=5000,
        )
    rerun = timed_run(world, fund)
    return {"firsts": firsts, "rerun": rerun, "fund": fund}


def print_runs(results: dict[int, dict]) -> None:
    print("\n1. Allocation run by tier rules (mdf.services.ledger.allocations_run)\n")
    print("| partners | run | wall s | statements | of which row batches | other statements |")
    print("|---:|---|---:|---:|---:|---:|")
    for size, result in results.items():
        firsts = result["firsts"]
        times = [t for t, _c, _r in firsts]
        _t, counter, run = firsts[-1]
        label = f"first run, {run.created:,} created (median of {len(firsts)})"
        print(
            f"| {size:,} | {label} | {statistics.median(times):.2f} "
            f"(min {min(times):.2f}) | {counter.total} | {counter.batched()} | "
            f"{counter.total - counter.batched()} |"
        )
        t, counter, run = result["rerun"]
        label = f"re-run, {run.changed:,} changed, {run.unchanged:,} unchanged"
        print(
            f"| {size:,} | {label} | {t:.2f} | {counter.total} | {counter.batched()} | "
            f"{counter.total - counter.batched()} |"
        )
    print("\nstatements by kind (first run / re-run):")
    for size, result in results.items():
        first = dict(sorted(result["firsts"][-1][1].kinds.items()))
        rerun = dict(sorted(result["rerun"][1].kinds.items()))
        print(f"  {size:>6,} partners: {first}\n  {'':>6}           {rerun}")
    others = {
        size: r["firsts"][-1][1].total - r["firsts"][-1][1].batched() for size, r in results.items()
    }
    same = len(set(others.values())) == 1
    print(
        "  statements besides the row batches: "
        + " / ".join(f"{n} at {size:,}" for size, n in others.items())
        + (" (the same)" if same else " (DIFFERENT: grows with partners)")
    )


# --- The balance page ------------------------------------------------------------------------


def page_data(world: dict, fund, page_requests: int, other_requests: int) -> dict:
    """Requests in every status for every partner of the fund (the measured partner more)."""
    from mdf.models import Allocation, LedgerEntry
    from tenancy.context import tenant_context

    with tenant_context(world["tenant"]):
        allocations = list(Allocation.objects.filter(fund=fund).select_related("fund"))
        heavy, light = world["partners"][0].pk, world["partners"][1].pk
        counts = {heavy: page_requests, light: 2}
        plan = [(a, counts.get(a.partner_id, other_requests)) for a in allocations]
        started = time.monotonic()
        written = bulk_requests(plan, by=world["users"]["partner"])
        entries = {
            pid: LedgerEntry.objects.filter(
                allocation__fund=fund, allocation__partner_id=pid
            ).count()
            for pid in (heavy, light)
        }
    print(
        f"\n{written:,} requests for {len(allocations):,} partners written in "
        f"{time.monotonic() - started:.1f}s (measured partner: {page_requests} requests, "
        f"{entries[heavy]} ledger entries; light partner: 2 requests, {entries[light]} entries)"
    )
    return {"entries": entries}


def page_queries(world: dict, samples: int = 30) -> dict[str, tuple[int, float]]:
    """{who: (queries, median ms)} of the balance page in process, one request at a time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    host = f"{world['tenant'].slug}.{BASE_DOMAIN}"
    found = {}
    for who in ("partner", "partner-light"):
        client = Client(HTTP_HOST=host)
        client.force_login(world["users"][who])
        client.get("/portal/mdf/")  # warm: session, host cache
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/portal/mdf/")
        assert response.status_code == 200, (response.status_code, response.content[:500])
        queries = len(ctx.captured_queries)  # the next request clears the log
        times = []
        for _i in range(samples):
            started = time.perf_counter()
            client.get("/portal/mdf/")
            times.append((time.perf_counter() - started) * 1000)
        found[who] = (queries, statistics.median(times))
    return found


def session_cookie(user, host: str) -> str:
    from django.test import Client

    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client.cookies["sessionid"].value


def bench_load():
    """bench/load.py (wrk's Lua script, gunicorn start-up), loaded by path."""
    spec = importlib.util.spec_from_file_location("bench_load", ROOT / "bench/load.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def server_env(production: bool) -> dict:
    env = {
        **os.environ,
        "SECRET_KEY": SECRET_KEY,
        "PRM_BASE_DOMAIN": BASE_DOMAIN,
        "ALLOWED_HOSTS": ".localhost,127.0.0.1",
        "DEBUG": "false",
    }
    if production:
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "prm.settings.production",
                "EMAIL_URL": "consolemail://",
                "SECURE_SSL_REDIRECT": "false",
            }
        )
    else:
        env["DJANGO_SETTINGS_MODULE"] = "prm.settings.local"
    return env


def measure_page(args, world: dict, production: bool) -> list:
    load = bench_load()
    host = f"{world['tenant'].slug}.{BASE_DOMAIN}"
    cookie = session_cookie(world["users"]["partner"], host)
    env = server_env(production)
    port = load.free_port()
    server = load.start("prm.wsgi", port, env, args.workers)
    headers = {"Host": host, "Accept": "text/html", "Cookie": f"sessionid={cookie}"}
    url = f"http://127.0.0.1:{port}/portal/mdf/"
    rows = []
    try:
        # Every worker's first requests load templates, translations and connections.
        warm = types.SimpleNamespace(connections=2 * args.workers, seconds=3)
        load.run_wrk(warm, "warm-up", url, "GET", headers)
        for connections in args.connections:
            # wrk stops with requests still queued at the server: let them finish first, or the
            # next round's first requests wait behind them.
            time.sleep(DRAIN_SECONDS)
            round_args = types.SimpleNamespace(connections=connections, seconds=args.seconds)
            label = f"/portal/mdf/, {connections} connection{'s' if connections > 1 else ''}"
            rows.append(load.run_wrk(round_args, label, url, "GET", headers))
            print(f"  {label}: {rows[-1].rate:,.1f} req/s", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return rows


def print_page(
    args, rows, queries: dict[str, tuple[int, float]], entries: dict, production: bool
) -> None:
    settings = (
        "production settings (PostgreSQL, Redis)" if production else "local settings, DEBUG off"
    )
    print("\n2. Partner MDF balance page (portal_mdf) under concurrent load\n")
    (heavy, heavy_ms), (light, light_ms) = queries["partner"], queries["partner-light"]
    print(
        f"in process, one request at a time (queries, median ms of 30): measured partner "
        f"({args.page_requests} requests, {entries['entries'][0]} ledger entries) {heavy}, "
        f"{heavy_ms:.1f} ms / light partner (2 requests, {entries['entries'][1]} entries) "
        f"{light}, {light_ms:.1f} ms; queries "
        + ("the same" if heavy == light else "DIFFERENT: they grow with requests or entries")
    )
    print(
        f"\ngunicorn, {args.workers} sync workers, {settings}; wrk, {args.seconds} s per round; "
        f"target p95 <= {TARGET_P95_MS:.0f} ms\n"
    )
    print("| load | req/s | p50 ms | p95 ms | p99 ms | errors | p95 target |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in rows:
        met = "met" if r.requests and r.p95 <= TARGET_P95_MS and not r.errors else "NOT met"
        print(
            f"| {r.label} | {r.rate:,.1f} | {r.p50:,.1f} | {r.p95:,.1f} | {r.p99:,.1f} | "
            f"{r.errors:,} | {met} |"
        )


# --- Set-up -----------------------------------------------------------------------------------


def prepare_environment(data_dir: Path) -> bool:
    """Settings for this process and the server; the PostgreSQL database created if missing.
    True on PostgreSQL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["PRM_DATA_DIR"] = str(data_dir)
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["PRM_BASE_DOMAIN"] = BASE_DOMAIN
    os.environ["DJANGO_SETTINGS_MODULE"] = "prm.settings.local"
    os.environ["DEBUG"] = "false"
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return False
    if not url.startswith("postgres"):
        raise SystemExit("bench/mdf.py: DATABASE_URL must be PostgreSQL (or unset for SQLite)")
    import psycopg

    base, name = url.split("?", 1)[0].rsplit("/", 1)
    if "bench" not in name:
        raise SystemExit(f"bench/mdf.py empties its database: {name!r} must contain 'bench'")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    return True


def static_is_current() -> bool:
    """The server's static manifest exists and is newer than every static source file
    (collectstatic post-processes every file, a minute or more on this machine)."""
    from django.conf import settings
    from django.contrib.staticfiles.finders import get_finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return False
    built = manifest.stat().st_mtime
    for finder in get_finders():
        for path, storage in finder.list([]):
            if storage.get_modified_time(path).timestamp() > built:
                return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--partners", type=int, default=5000)
    parser.add_argument("--small", type=int, default=500, help="partners of the second tenant")
    parser.add_argument("--repeat", type=int, default=3, help="first runs per size")
    parser.add_argument("--page-requests", type=int, default=300)
    parser.add_argument("--other-requests", type=int, default=2)
    parser.add_argument("--connections", default="1,4,16")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    args.connections = [int(c) for c in args.connections.split(",") if c]
    if not shutil.which("wrk"):
        raise SystemExit("bench/mdf.py needs wrk: apt-get install -y wrk")
    started = time.monotonic()
    postgres = prepare_environment(DATA_DIR)
    production = postgres and bool(os.environ.get("REDIS_URL"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)  # only what is new since the last run
    call_command("flush", interactive=False, verbosity=0)  # every run starts empty
    if not static_is_current():
        call_command("collectstatic", interactive=False, verbosity=0)  # as `make setup` does
    print(f"{connection.vendor} database ready in {time.monotonic() - started:.1f}s")

    rng = random.Random(2026)
    worlds = {}
    for size in (args.small, args.partners):
        t0 = time.monotonic()
        worlds[size] = build_tenant(f"mdf-{size}", size, rng)
        print(
            f"tenant mdf-{size}: {size:,} partners, {3 * size:,} revenue records in "
            f"{time.monotonic() - t0:.1f}s"
        )
    analyze(connection)
    results = {
        size: measure_runs(world, args.repeat, current_last=size == args.partners)
        for size, world in worlds.items()
    }
    print_runs(results)

    world = worlds[args.partners]
    data = page_data(world, results[args.partners]["fund"], args.page_requests, args.other_requests)
    analyze(connection)
    queries = page_queries(world)
    heavy, light = world["partners"][0].pk, world["partners"][1].pk
    entries = {"entries": (data["entries"][heavy], data["entries"][light])}
    connection.close()
    rows = measure_page(args, world, production)
    print_page(args, rows, queries, entries, production)
    print(f"\nwhole run {time.monotonic() - started:.0f}s")


def analyze(connection) -> None:
    """Fresh planner statistics after the bulk writes (autovacuum would get there later)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


if __name__ == "__main__":
    main()
