"""Benchmark: executive analytics over the million-registration data set (issue 14).

    .venv/bin/python bench/analytics.py                       # build/extend, then measure
    .venv/bin/python bench/analytics.py --only full,incremental --runs 3
    .venv/bin/python bench/analytics.py --only dashboard,home --samples 100
    .venv/bin/python bench/analytics.py --only full --profile # where a refresh's time goes

The data set is bench/dealreg.py's (default postgres://postgres@127.0.0.1:5432/prm_bench_dealreg,
built with its builder when missing: 10 tenants, the largest with 5,000 partners and 1,000,000
registrations). bench/dealreg.py builds registrations only; the first run here adds, set-based,
what the rollups read, to every tenant (the small ones at their 1 % scale), once:
- the deals' history: closing dates of won and lost deals, a submission event per registration
  and a decision event per decided one (`DealEvent`: what the incremental refresh asks),
- the revenue ledger: a sourced record per won deal (`deal:<uuid>`, as deal registration posts
  it) and six typed-in influenced records per partner over two years,
- recorded touches (a referral, co-sell or influence by another partner) on 1 won deal in 8,
- three tiers (discount margins 25 / 20 / 10 %) with the partners spread over them,
- two people per partner with their portal logins (~2 a month each, some months skipped),
  course enrolments (60 % completed, with their modules) and certifications (a Professional
  for each, an Expert for one in four; some expired),
- bench/load.py's course and MDF pages' data (a fund allocated to every partner, requests in
  every status with payouts), the measurement settings (manager and program cost a month) and
  an executive (`exec@bench-N.test`).

Measures, in process (production settings as bench/dealreg.py: DEBUG off, tasks queued):
- full: `analytics.rollups.refresh(full=True)` from scratch (the tenant's rollup rows and state
  deleted first) for the largest tenant: wall time, rows written (target <= 60 s); then a second
  full refresh with nothing changed (the computing alone: it writes nothing);
- incremental: 1,000 new events spread over random partners (250 registrations submitted,
  250 deals won with their revenue posted, 250 revenue records typed in, 250 portal logins),
  then `refresh()`: wall time, partners recomputed, rows written (target <= 2 s); each run rolled
  back, so every run starts from the same state (--runs of them);
- dashboard: p50/p95/p99 over --samples requests through Django's test client (the whole
  request) of the KPI dashboard (executive; this quarter, and the last 12 months under first
  touch), a partner's drill-down, the partners table's CSV export, the channel manager's console
  home (their partners' health) and the partner's portal home (its scorecard) (target p95
  <= 150 ms), with the query count of each page in the largest tenant and a small one.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import os
import pstats
import random
import statistics
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BIG, SMALL = "bench-0", "bench-1"
EXECUTIVE = "exec@{slug}.test"
PEOPLE_PER_PARTNER = 2
TIERS = (("Gold", 3, Decimal("25")), ("Silver", 2, Decimal("20")), ("Registered", 1, Decimal("10")))
PRODUCTS = ("Platform", "Security", "Analytics")


def bench_module(name: str):
    """bench/<name>.py, loaded by path (`dealreg` is also the app's name)."""
    key = f"bench_{name}"
    if key in sys.modules:
        return sys.modules[key]
    spec = importlib.util.spec_from_file_location(key, ROOT / f"bench/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    spec.loader.exec_module(module)
    return module


# --- The data set ---------------------------------------------------------------------------------


def ensure_facts() -> None:
    """Add what the rollups read to every bench tenant that lacks it (see the module docstring),
    then compute each tenant's rollups once. Idempotent: a tenant with its executive is done."""
    from django.db import connection

    from tenancy.models import Tenant, User

    for tenant in Tenant.objects.filter(slug__startswith="bench-").order_by("pk"):
        if User.objects.filter(email=EXECUTIVE.format(slug=tenant.slug)).exists():
            continue
        started = time.monotonic()
        counts = add_facts(tenant)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"analytics data {tenant.slug}: "
            + ", ".join(f"{n:,} {what}" for what, n in counts.items())
            + f" in {time.monotonic() - started:.1f}s",
            flush=True,
        )
    for tenant in Tenant.objects.filter(slug__startswith="bench-").order_by("pk"):
        ensure_rollups(tenant)


def ensure_rollups(tenant) -> None:
    from analytics import rollups
    from analytics.models import RollupState
    from tenancy.context import tenant_context

    with tenant_context(tenant):
        state = RollupState.objects.first()
        if state is None or state.full_refreshed_at is None:
            result = rollups.refresh(full=True)
            print(
                f"rollups {tenant.slug}: {result.rows_written:,} rows in {result.seconds:.1f}s",
                flush=True,
            )


def _sql(statement: str, params=()) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def add_facts(tenant) -> dict[str, int]:
    from django.db import transaction
    from django.utils import timezone

    from analytics.models import CostRule
    from analytics.settings import analytics_settings
    from enablement.certs import demo as certs_demo
    from enablement.lms import demo as lms_demo
    from enablement.lms.models import Course
    from partners.models import PartnerOrganization, Tier
    from tenancy.context import tenant_context
    from tenancy.models import Membership, User
    from tenancy.roles import Role

    load = bench_module("load")
    t = tenant.pk
    counts: dict[str, int] = {}
    with tenant_context(tenant), transaction.atomic():
        partner_user = User.objects.get(email=f"partner@{tenant.slug}.test")
        partner_org = Membership.objects.get(user=partner_user).partner_organization_id

        # Deals' history: closing dates, submission and decision events.
        _sql(
            # (bench/dealreg.py gives some expired registrations a future expiry date: those
            # closed when they were decided.)
            "UPDATE dealreg_dealregistration SET closed_at = CASE"
            "  WHEN status = 'expired' AND expires_at <= now() THEN expires_at ELSE decided_at END "
            "WHERE tenant_id = %s AND status IN ('won', 'lost', 'expired') AND closed_at IS NULL",
            [t],
        )
        counts["deal events"] = _sql(
            "INSERT INTO dealreg_dealevent (tenant_id, uuid, registration_id, action, from_status,"
            "  to_status, by_label, note, at) "
            "SELECT tenant_id, gen_random_uuid(), id, 'submitted', '', 'submitted', '', '',"
            "  submitted_at FROM dealreg_dealregistration WHERE tenant_id = %s "
            "UNION ALL "
            "SELECT tenant_id, gen_random_uuid(), id, status, 'submitted', status, '', '',"
            "  coalesce(closed_at, decided_at) FROM dealreg_dealregistration "
            "WHERE tenant_id = %s AND decided_at IS NOT NULL",
            [t, t],
        )

        # Tiers, the partners spread over them (2 in 10 Gold, 3 Silver, 5 Registered).
        tiers = [
            Tier.objects.create(tenant=tenant, name=name, rank=rank, discount_margin_pct=pct)
            for name, rank, pct in TIERS
        ]
        _sql(
            "UPDATE partners_partnerorganization SET tier_id = CASE "
            "  WHEN id %% 10 < 2 THEN %s WHEN id %% 10 < 5 THEN %s ELSE %s END "
            "WHERE tenant_id = %s",
            [tiers[0].pk, tiers[1].pk, tiers[2].pk, t],
        )

        # The revenue ledger.
        counts["deal revenue records"] = _sql(
            "INSERT INTO partners_revenuerecord (tenant_id, uuid, partner_id, kind, customer,"
            "  product, amount, currency, booked_on, source, external_ref, created_at) "
            "SELECT tenant_id, gen_random_uuid(), partner_id, 'sourced', left(customer_name, 200),"
            "  coalesce(products->>0, ''), estimated_value, 'USD', closed_at::date, 'dealreg',"
            "  'deal:' || uuid, closed_at "
            "FROM dealreg_dealregistration WHERE tenant_id = %s AND status = 'won'",
            [t],
        )
        counts["typed-in revenue records"] = _sql(
            "INSERT INTO partners_revenuerecord (tenant_id, uuid, partner_id, kind, customer,"
            "  product, amount, currency, booked_on, source, external_ref, created_at) "
            "SELECT p.tenant_id, gen_random_uuid(), p.id, 'influenced', 'Influenced account ' || g,"
            "  (ARRAY['Platform', 'Security', 'Analytics'])[1 + (p.id + g) %% 3],"
            "  1000 + (p.id * 7919 + g * 104729) %% 50000, 'USD', d::date, 'manual', '', d "
            "FROM partners_partnerorganization p CROSS JOIN generate_series(1, 6) g "
            "CROSS JOIN LATERAL (SELECT now() - ((p.id * 37 + g * 113) %% 720) * interval '1 day'"
            "  AS d) AS day WHERE p.tenant_id = %s",
            [t],
        )

        # Touches recorded on 1 won deal in 8, by another partner.
        counts["deal touches"] = _sql(
            "WITH p AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n"
            "  FROM partners_partnerorganization WHERE tenant_id = %s) "
            "INSERT INTO analytics_dealtouch (tenant_id, uuid, registration_id, partner_id, kind,"
            "  touched_on, note, created_at) "
            "SELECT r.tenant_id, gen_random_uuid(), r.id, p.ids[1 + (r.id * 31 + 7) %% p.n],"
            "  (ARRAY['referral', 'co_sell', 'influence'])[1 + r.id %% 3],"
            "  (r.submitted_at - interval '10 days')::date, '', r.submitted_at "
            "FROM dealreg_dealregistration r, p "
            "WHERE r.tenant_id = %s AND r.status = 'won' AND r.id %% 8 = 0"
            "  AND p.ids[1 + (r.id * 31 + 7) %% p.n] <> r.partner_id",
            [t, t],
        )

        # People: two per partner, with their logins, courses and certifications.
        partners = list(PartnerOrganization.objects.order_by("pk").values_list("pk", flat=True))
        users = User.objects.bulk_create(
            [
                User(
                    email=f"p{pk}-{n}@bench-people-{tenant.slug}.test",
                    password=partner_user.password,
                )
                for pk in partners
                for n in range(PEOPLE_PER_PARTNER)
            ],
            batch_size=5000,
        )
        Membership.objects.bulk_create(
            [
                Membership(
                    tenant=tenant,
                    user=user,
                    role=Role.PARTNER_SALES,
                    partner_organization_id=partners[i // PEOPLE_PER_PARTNER],
                )
                for i, user in enumerate(users)
            ],
            batch_size=5000,
        )
        # A constant subquery (no input) spliced into the statements below.
        people = (
            "SELECT m.user_id, m.partner_organization_id AS partner_id FROM tenancy_membership m"
            " JOIN tenancy_user u ON u.id = m.user_id"
            " WHERE m.tenant_id = %s AND u.email LIKE 'p%%@bench-people-%%'"
        )
        counts["portal logins"] = _sql(
            "INSERT INTO onboarding_portallogin (tenant_id, uuid, user_id, partner_id,"  # noqa: S608
            "  logged_in_at) "
            "SELECT %s, gen_random_uuid(), x.user_id, x.partner_id, now() - interval '1 month' * m"
            "  - interval '1 hour' * ((x.user_id * 13 + m * 7 + k) %% 600) "
            f"FROM ({people}) x CROSS JOIN generate_series(0, 23) m"
            "  CROSS JOIN generate_series(1, 2) k"
            "  WHERE (x.partner_id + m) %% 7 <> 0",
            [t, t],
        )
        if not Course.objects.exists():  # the demo's courses and learning paths
            courses = {spec["title"]: lms_demo._course(tenant, spec) for spec in lms_demo.COURSES}
            lms_demo._paths(tenant, courses)
        counts["course enrolments"] = _sql(
            "WITH c AS (SELECT array_agg(id ORDER BY id) AS ids, count(*) AS n FROM lms_course"  # noqa: S608
            "  WHERE tenant_id = %s) "
            "INSERT INTO lms_enrollment (tenant_id, uuid, course_id, user_id, enrolled_at,"
            "  completed_at, seconds_spent) "
            "SELECT %s, gen_random_uuid(), c.ids[1 + (x.user_id + k) %% c.n], x.user_id, e,"
            "  CASE WHEN (x.user_id + k) %% 5 < 3 THEN e + interval '12 days' END, 3600 * k "
            f"FROM ({people}) x CROSS JOIN generate_series(1, 2) k CROSS JOIN c "
            "CROSS JOIN LATERAL (SELECT now() - ((x.user_id * 17 + k * 101) %% 700)"
            "  * interval '1 day' AS e) AS day "
            "ON CONFLICT DO NOTHING",
            [t, t, t],
        )
        counts["modules done"] = _sql(
            "INSERT INTO lms_moduleprogress (tenant_id, uuid, enrollment_id, module_id,"
            "  completed_at, seconds_spent) "
            "SELECT e.tenant_id, gen_random_uuid(), e.id, cm.id, e.completed_at - interval '1 day',"
            "  600 + (e.id + cm.id) %% 3000 "
            "FROM lms_enrollment e JOIN lms_coursemodule cm ON cm.course_id = e.course_id "
            "WHERE e.tenant_id = %s AND e.completed_at IS NOT NULL "
            "ON CONFLICT DO NOTHING",
            [t],
        )
        name, text = certs_demo.DEFAULT_TRACKS[0]
        pro, expert = certs_demo._ladder(name, text)
        counts["certifications awarded"] = _sql(
            "INSERT INTO certs_certificationaward (tenant_id, uuid, certification_id, user_id,"  # noqa: S608
            "  partner_id, issued_at, expires_at, verification_code, renewed_count,"
            "  certificate_file, certificate_sha256) "
            "SELECT %s, gen_random_uuid(), c.cert, x.user_id, x.partner_id, i,"
            "  i + c.months * interval '1 month', upper(substr(md5(random()::text || x.user_id"
            "  || c.cert), 1, 16)), 0, '', '' "
            f"FROM ({people}) x "
            "CROSS JOIN (VALUES (%s, 12, 0), (%s, 24, 1)) AS c(cert, months, level) "
            "CROSS JOIN LATERAL (SELECT now() - ((x.user_id * 29 + c.level * 200) %% 700)"
            "  * interval '1 day' AS i) AS day "
            "WHERE c.level = 0 OR x.user_id %% 4 = 0",
            [t, t, pro.pk, expert.pk],
        )
        load._mdf(tenant, partner_org)  # a fund, allocations, requests in every status, payouts

        # How the program is measured; the executive.
        # What analytics.services.settings_update saves (it asks for the program admin's
        # second factor, which a bench does not have).
        measured = analytics_settings()
        measured.cost_rule = CostRule.MANAGED
        measured.manager_monthly_cost = Decimal("9500")
        measured.program_monthly_cost = Decimal("4000")
        measured.changed_at = timezone.now()
        measured.save()
        executive = User.objects.create(
            email=EXECUTIVE.format(slug=tenant.slug), password=partner_user.password
        )
        Membership.objects.create(tenant=tenant, user=executive, role=Role.EXECUTIVE)
    return counts


# --- Measuring ------------------------------------------------------------------------------------


def load_average() -> str:
    """The machine's 1-minute load average (the numbers mean little on a busy machine)."""
    return f"load {os.getloadavg()[0]:.1f}"


def percentiles(samples: list[float]) -> str:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return f"p50 {qs[49]:7.1f}  p95 {qs[94]:7.1f}  p99 {qs[98]:7.1f} ms"


def timed(fn, count: int) -> list[float]:
    times = []
    for i in range(count):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    return times


def profiled(fn, enabled: bool, top: int = 30):
    """fn(); with `enabled`, print the functions with the most cumulative time."""
    if not enabled:
        return fn()
    profiler = cProfile.Profile()
    result = profiler.runcall(fn)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    print(out.getvalue())
    return result


def rollup_rows() -> tuple[int, int]:
    from analytics.models import AttributionMonth, PartnerMonth

    return PartnerMonth.objects.count(), AttributionMonth.objects.count()


def measure_full(args, tenant) -> None:
    from django.db import connection

    from analytics import rollups
    from analytics.models import AttributionMonth, PartnerMonth, RollupState
    from tenancy.context import tenant_context

    with tenant_context(tenant):
        for run in range(args.runs):
            AttributionMonth.objects.all().delete()
            PartnerMonth.objects.all().delete()
            RollupState.objects.all().delete()
            # From scratch = empty tables, as for a new tenant: without the VACUUM the unique
            # checks would wade through the index entries of the million rows just deleted.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE analytics_partnermonth, analytics_attributionmonth")
            result = profiled(lambda: rollups.refresh(full=True), args.profile)
            partner_rows, attribution_rows = rollup_rows()
            print(
                f"full refresh from scratch (run {run + 1}): {result.seconds:6.1f} s, "
                f"{result.partners:,} partners, {result.rows_written:,} rows written "
                f"({partner_rows:,} partner-months, {attribution_rows:,} attribution rows; "
                f"{load_average()})",
                flush=True,
            )
        result = profiled(lambda: rollups.refresh(full=True), args.profile)
        print(
            f"full refresh, nothing changed:     {result.seconds:6.1f} s, "
            f"{result.rows_written:,} rows written ({load_average()})",
            flush=True,
        )


def new_events(tenant, rng: random.Random, per_kind: int = 250) -> None:
    """1,000 new events over random partners, as the apps' services record them."""
    from django.utils import timezone

    from dealreg.models import DealEvent, DealRegistration
    from onboarding.models import PortalLogin
    from partners.models import PartnerOrganization, RevenueRecord
    from tenancy.models import Membership

    now = timezone.now()
    partners = list(PartnerOrganization.objects.values_list("pk", flat=True))
    pick = [rng.choice(partners) for _ in range(per_kind * 2)]
    # Registrations submitted (copies of existing ones, new customers' names kept).
    templates = list(DealRegistration.objects.order_by("?")[:per_kind])
    for reg, partner_id in zip(templates, pick[:per_kind], strict=False):
        reg.pk = None
        reg.uuid = uuid.uuid4()
        reg.partner_id = partner_id
        reg.status = "submitted"
        reg.created_at = reg.submitted_at = now
        reg.decided_at = reg.approved_at = reg.expires_at = reg.closed_at = None
        reg.sla_due_at = now + timedelta(hours=72)
    submitted = DealRegistration.objects.bulk_create(templates)
    events = [
        DealEvent(tenant=tenant, registration=r, action="submitted", to_status="submitted", at=now)
        for r in submitted
    ]
    # Deals won, with their revenue posted.
    won = list(
        DealRegistration.objects.filter(status="approved", partner_id__in=pick[per_kind:])[
            :per_kind
        ]
    )
    for reg in won:
        reg.status = "won"
        reg.closed_at = now
        events.append(
            DealEvent(
                tenant=tenant,
                registration=reg,
                action="won",
                from_status="approved",
                to_status="won",
                at=now,
            )
        )
    DealRegistration.objects.bulk_update(won, ["status", "closed_at"])
    DealEvent.objects.bulk_create(events)
    today = now.date()
    records = [
        RevenueRecord(
            tenant=tenant,
            partner_id=reg.partner_id,
            kind="sourced",
            customer=reg.customer_name[:200],
            product=(reg.products or [""])[0],
            amount=reg.estimated_value,
            currency="USD",
            booked_on=today,
            source="dealreg",
            external_ref=f"deal:{reg.uuid}",
        )
        for reg in won
    ]
    records += [
        RevenueRecord(
            tenant=tenant,
            partner_id=rng.choice(partners),
            kind="influenced",
            customer="Typed in",
            product=rng.choice(PRODUCTS),
            amount=Decimal(rng.randrange(1000, 50000)),
            currency="USD",
            booked_on=today,
        )
        for _ in range(per_kind)
    ]
    RevenueRecord.objects.bulk_create(records)
    people = list(
        Membership.objects.filter(user__email__contains="@bench-people-")
        .order_by("?")
        .values_list("user_id", "partner_organization_id")[:per_kind]
    )
    PortalLogin.objects.bulk_create(
        [PortalLogin(tenant=tenant, user_id=u, partner_id=p, logged_in_at=now) for u, p in people]
    )
    print(
        f"  events: {len(submitted)} submitted, {len(won)} won (+ revenue), "
        f"{per_kind} typed-in revenue, {len(people)} logins",
        flush=True,
    )


class Rollback(Exception):
    pass


def measure_incremental(args, tenant) -> None:
    from django.db import transaction

    from analytics import rollups
    from tenancy.context import tenant_context

    rng = random.Random(14)
    seconds = []
    with tenant_context(tenant):
        rollups.refresh()  # catch up with anything before (not timed)
        for run in range(args.runs):
            try:
                with transaction.atomic():
                    new_events(tenant, rng)
                    result = profiled(rollups.refresh, args.profile)
                    seconds.append(result.seconds)
                    print(
                        f"incremental refresh after 1,000 events (run {run + 1}): "
                        f"{result.seconds:6.2f} s, {result.kind}, {result.partners:,} partners "
                        f"recomputed, {result.rows_written:,} rows written ({load_average()})",
                        flush=True,
                    )
                    raise Rollback
            except Rollback:
                pass
    if seconds:
        print(f"incremental: median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s")


def measure_pages(args) -> None:
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from analytics.models import PartnerMonth
    from partners.models import PartnerOrganization
    from tenancy.context import tenant_context
    from tenancy.models import Tenant, User

    bench_module("dealreg").prewarm()

    def client_for(email: str, slug: str) -> Client:
        client = Client(HTTP_HOST=f"{slug}.localhost")
        client.force_login(User.objects.get(email=email))
        return client

    def pages(slug: str) -> dict:
        with tenant_context(Tenant.objects.get(slug=slug)):
            # The drill-down of the partner with the most partner-months (a busy one).
            busiest = (
                PartnerMonth.objects.values("partner_id")
                .annotate(n=Count("pk"))
                .order_by("-n", "partner_id")
                .first()
            )
            drill = PartnerOrganization.objects.get(pk=busiest["partner_id"]).uuid
        executive = client_for(EXECUTIVE.format(slug=slug), slug)
        manager = client_for(f"manager@{slug}.test", slug)
        partner = client_for(f"partner@{slug}.test", slug)
        dashboard = reverse("console_analytics")
        return {
            "KPI dashboard (executive, this quarter)": (executive, dashboard, {}),
            "KPI dashboard (last 12 months, first touch)": (
                executive,
                dashboard,
                {"period": "L12", "model": "first"},
            ),
            "partner drill-down (executive)": (
                executive,
                reverse("console_analytics_partner", args=[drill]),
                {},
            ),
            "partners table CSV (every partner)": (
                executive,
                dashboard,
                {"table": "partners", "format": "csv"},
            ),
            "console home (channel manager)": (manager, reverse("console_home"), {}),
            "portal home with scorecard (partner)": (partner, reverse("portal_home"), {}),
        }

    big, small = pages(BIG), pages(SMALL)
    words = [w for w in args.only.split(",") if w and w not in ("full", "incremental")]
    for label, (client, url, params) in big.items():
        if words and not any(w in label.lower() for w in words):
            continue
        response = client.get(url, params)  # warm up
        assert response.status_code == 200, (label, response.status_code)
        samples = timed(lambda i, c=client, u=url, p=params: c.get(u, p), args.samples)
        print(f"{label:45s} {percentiles(samples)} ({load_average()})", flush=True)

    print("\nqueries per page (large tenant / small tenant):")
    for label in big:
        counts = []
        for client, url, params in (big[label], small[label]):
            client.get(url, params)  # per-process caches warm (tenant, settings), as measured
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, params)
            counts.append(len(ctx.captured_queries))
        print(f"  {label:45s} {counts[0]:3d} / {counts[1]:3d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3, help="full and incremental refreshes")
    parser.add_argument(
        "--only",
        default="",
        help="full, incremental, and/or words of the pages' labels (dashboard, drill, csv, home)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the refreshes")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="of the 1M data set, when it is built here"
    )
    args = parser.parse_args()
    builder = bench_module("dealreg")  # sets bench/dealreg.py's environment and settings
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("bench/analytics.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    fresh = builder.ensure_database(False)
    builder.django_setup()
    from django.core.management import call_command

    from tenancy.models import Tenant

    if fresh or not Tenant.objects.filter(slug=BIG).exists():
        builder.build(
            argparse.Namespace(
                accounts=int(1_000_000 * args.scale),
                registrations=int(1_000_000 * args.scale),
                partners=max(20, int(5_000 * args.scale)),
                tenants=10 if args.scale >= 0.1 else 2,
            )
        )
    else:
        call_command("migrate", verbosity=0)  # a kept data set follows schema changes
    call_command("collectstatic", interactive=False, verbosity=0)
    ensure_facts()
    tenant = Tenant.objects.get(slug=BIG)
    only = set(args.only.split(",")) if args.only else set()
    if not only or "full" in only:
        measure_full(args, tenant)
    if not only or "incremental" in only:
        measure_incremental(args, tenant)
    if not only or only - {"full", "incremental"}:
        measure_pages(args)


if __name__ == "__main__":
    main()
