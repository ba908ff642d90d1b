"""Load benchmark: the main journeys under concurrent load, side by side with a bare Django ceiling.

    .venv/bin/python bench/load.py                    # 1M data set, 20 s per round
    .venv/bin/python bench/load.py --seconds 10 --only api,queue
    .venv/bin/python bench/load.py --quick            # smoke run: 2 s rounds
    .venv/bin/python bench/load.py --scale 0.01 --database postgres://.../prm_bench_small

Builds the data set with bench/dealreg.py's builder when its database is missing (default
postgres://postgres@127.0.0.1:5432/prm_bench_dealreg, 1M registrations; --scale shrinks it) and
adds what the portal's course and MDF pages show the first time (the MDF data set-based with
bench/mdf.py's builders: a fund allocated to every partner, requests in every status) and what
the analytics dashboards read (bench/analytics.py's data: revenue ledger, touches, tiers, people
with logins, courses and certifications; the rollups; an executive), then starts two gunicorn
servers on free ports (--workers sync workers each):
- the ceiling, bench/ceiling/: a bare Django 5.2 app answering one indexed primary-key SELECT as
  JSON (/one/) and a constant JSON (/constant/);
- the project, prm.wsgi with prm.settings.production (Postgres, Redis db 12 unless REDIS_URL).
Load comes from a separate process, wrk (apt-get install wrk), --connections connections, with a
Lua script for the cookie / API key / POST body. Before each project journey a ceiling round runs
(interleaved), and each journey is reported against the mean of the ceiling's one-query rounds:
journey, req/s, p50/p95/p99 (ms), errors (non-2xx answers and socket errors), % of the ceiling.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/prm_bench_dealreg"
HOST = "bench-0.localhost"
# The servers' key: the session cookies made here must verify there.
SECRET_KEY = "bench-load-not-a-secret-" + "x" * 40


@dataclass(frozen=True)
class Journey:
    key: str  # the word --only picks
    label: str
    path: str
    auth: str  # "partner" / "manager" / "executive" session, "partner_key" / "vendor_key" API key
    method: str = "GET"
    htmx: bool = False


@dataclass
class Result:
    label: str
    requests: int
    seconds: float
    p50: float
    p95: float
    p99: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def journeys(facts: dict) -> list[Journey]:
    """The journeys, with the URLs of the largest tenant's objects found in `facts`."""
    found = [
        Journey(
            "lock", "deal-lock search results (htmx)", facts["lock_search"], "manager", htmx=True
        ),
        Journey("pipeline", "partner pipeline /portal/deals/", "/portal/deals/", "partner"),
        Journey(
            "queue", "approver queue /console/deals/queue/", "/console/deals/queue/", "manager"
        ),
        Journey("home", "partner portal home", "/portal/", "partner"),
        Journey("api-partner", "GET API registrations (partner key)", API, "partner_key"),
        Journey("api-vendor", "GET API registrations (vendor key)", API, "vendor_key"),
        Journey("api-post", "POST API registrations", API, "partner_key", method="POST"),
        Journey("directory", "console partner directory", "/console/partners/", "manager"),
        Journey("detail", "console registration detail", facts["detail"], "manager"),
        Journey("tiers", "console tier page", facts["tier"], "manager"),
        Journey("course", "portal course page", facts["course"], "partner"),
        Journey("assets", "portal asset list", "/portal/assets/", "partner"),
        Journey("reports", "console deal reports", "/console/deals/reports/", "manager"),
        Journey("mdf", "portal MDF balance /portal/mdf/", "/portal/mdf/", "partner"),
        Journey("mdf-request", "portal MDF request page", facts.get("mdf_request", ""), "partner"),
        Journey(
            "analytics", "KPI dashboard /console/analytics/", "/console/analytics/", "executive"
        ),
        Journey("console-home", "channel manager's console home", "/console/", "manager"),
    ]
    return [j for j in found if j.path]


API = "/api/v1/deal-registrations/"

LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args)
  errors = 0
  counter = 0
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "1", 16) % 100000)
end
wrk.method = "@METHOD@"
@HEADERS@
function request()
  if wrk.method ~= "POST" then return wrk.format() end
  counter = counter + 1
  local tag = string.format("%d%d", math.random(100000000), counter)
  local body = '{"customer_name": "Load Co ' .. tag .. '", "customer_domain": "load-' .. tag ..
    '.example", "estimated_value": "10000", "currency": "USD", "expected_close_date": "@CLOSE@"}'
  return wrk.format(nil, nil, nil, body)
end
function response(status, headers, body)
  if status < 200 or status > 299 then errors = errors + 1 end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  local s = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "p50": %.2f, "p95": %.2f, "p99": %.2f, ' ..
    '"errors": %d}\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    e + s.connect + s.read + s.write + s.timeout))
end
"""


def lua_script(method: str, headers: dict[str, str], close_date: str) -> str:
    lines = "\n".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items())
    return (
        LUA.replace("@METHOD@", method).replace("@HEADERS@", lines).replace("@CLOSE@", close_date)
    )


def parse_wrk(label: str, output: str) -> Result:
    """The RESULT line the Lua `done` writes."""
    for line in output.splitlines():
        if line.startswith("RESULT "):
            data = json.loads(line[len("RESULT ") :])
            return Result(label=label, **data)
    raise RuntimeError(f"wrk gave no result for {label}: {output[-1000:]}")


def report(rows: list[Result], ceiling_rate: float) -> str:
    head = f"| journey | req/s | p50 ms | p95 ms | p99 ms | errors | % of ceiling |\n|{'---|' * 7}"
    body = []
    for r in rows:
        share = f"{100 * r.rate / ceiling_rate:.0f}%" if ceiling_rate else "—"
        if not r.requests:  # slower than the round (or stuck behind the last round's requests)
            body.append(f"| {r.label} | no request finished in the round | | | | | 0% |")
            continue
        body.append(
            f"| {r.label} | {r.rate:,.1f} | {r.p50:,.1f} | {r.p95:,.1f} | {r.p99:,.1f} | "
            f"{r.errors:,} | {share} |"
        )
    return "\n".join([head, *body])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_dealreg():
    """bench/dealreg.py's builder (loaded by path: `dealreg` is also the app's name)."""
    return bench_module("dealreg")


def bench_module(name: str):
    """bench/<name>.py, loaded by path (`dealreg` and `mdf` are also the apps' names)."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / f"bench/{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def prepare(args) -> dict:
    """Build the data set if missing; sessions, API keys and the URLs of the journeys."""
    os.environ["DATABASE_URL"] = args.database
    os.environ["SECRET_KEY"] = SECRET_KEY
    builder = bench_dealreg()  # sets the in-process settings bench/dealreg.py measures with
    fresh = builder.ensure_database(False)
    builder.django_setup()
    from django.core.management import call_command

    from tenancy.models import Tenant

    if fresh or not _built():
        build_args = argparse.Namespace(
            accounts=int(1_000_000 * args.scale),
            registrations=int(1_000_000 * args.scale),
            partners=max(20, int(5_000 * args.scale)),
            tenants=10 if args.scale >= 0.1 else 2,
        )
        builder.build(build_args)
    else:
        call_command("migrate", verbosity=0)
    from django.db.models import Max
    from django.test import Client

    from dealreg.models import DealRegistration
    from partners.models import Tier
    from tenancy.context import tenant_context
    from tenancy.models import Membership, User
    from tenancy.roles import Role

    # The rollups the dashboards read, and an executive (bench/analytics.py's data, added the
    # first time: revenue ledger, touches, tiers, people, logins, courses, certifications).
    bench_module("analytics").ensure_facts()
    tenant = Tenant.objects.get(slug="bench-0")
    facts: dict = {}
    for who in ("partner", "manager", "exec"):
        client = Client(HTTP_HOST=HOST)
        client.force_login(User.objects.get(email=f"{who}@bench-0.test"))
        facts["executive" if who == "exec" else who] = client.cookies["sessionid"].value
    with tenant_context(tenant):
        partner_org = Membership.objects.get(
            user__email="partner@bench-0.test"
        ).partner_organization_id
        facts["partner_key"] = _api_key(Role.PARTNER_ADMIN, partner_org, "partner")
        facts["vendor_key"] = _api_key(Role.PROGRAM_ADMIN, None, "admin")
        reg = DealRegistration.objects.filter(partner_id=partner_org).order_by("-id").first()
        facts["detail"] = f"/console/deals/{reg.uuid}/" if reg else ""
        word = reg.customer_name.split()[0] if reg else "Logistics"
        facts["lock_search"] = f"/console/deal-locks/?q={word}"
        tier = Tier.objects.order_by("id").first()
        facts["tier"] = (
            f"/console/program/tiers/{tier.uuid}/" if tier else "/console/program/tiers/"
        )
        course = _course(tenant)
        facts["course"] = f"/portal/learning/courses/{course.uuid}/"
        paid = _mdf(tenant, partner_org)
        facts["mdf_request"] = f"/portal/mdf/requests/{paid.uuid}/" if paid else ""
    facts["max_id"] = DealRegistration.objects.unscoped().aggregate(m=Max("id"))["m"] or 1
    return facts


def _course(tenant):
    """The course page's course: the demo's courses and learning paths, added to the data set the
    first time (bench/dealreg.py builds registrations only), the partner user part-way through
    the first course of their path."""
    from enablement.lms import demo
    from enablement.lms.models import Course, Enrollment
    from tenancy.models import Membership

    membership = Membership.objects.select_related("user", "tenant").get(
        user__email="partner@bench-0.test"
    )
    if not Course.objects.exists():
        courses = {spec["title"]: demo._course(tenant, spec) for spec in demo.COURSES}
        demo._paths(tenant, courses)
    if not Enrollment.objects.filter(user=membership.user).exists():
        demo._learn(membership, stage=1)
    enrolled = Enrollment.objects.filter(user=membership.user).order_by("id").first()
    return enrolled.course if enrolled else Course.objects.order_by("id").first()


MDF_FUND = "Bench MDF this quarter"


def _mdf(tenant, partner_org):
    """The MDF pages' data, added the first time (bench/dealreg.py builds registrations only),
    set-based by bench/mdf.py's builders: this quarter's fund allocated to every partner, 3
    requests per partner and 40 for the partner user's organisation, in every status (ledger
    entries, events, claims, payouts). Returns a paid request of that organisation."""
    from datetime import date, timedelta
    from decimal import Decimal

    from mdf.models import CarryOver, Fund, FundPeriod, FundRequest, RequestStatus
    from partners.models import PartnerOrganization
    from tenancy.models import User

    if not Fund.objects.filter(name=MDF_FUND).exists():
        mdf = bench_module("mdf")
        started = time.monotonic()
        today = date.today()
        starts = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        ends = (starts + timedelta(days=100)).replace(day=1) - timedelta(days=1)
        partners = list(PartnerOrganization.objects.order_by("id"))
        per_partner = Decimal("20000")
        budget = per_partner * len(partners)
        fund = Fund.objects.create(
            tenant=tenant,
            name=MDF_FUND,
            period=FundPeriod.QUARTER,
            starts_on=starts,
            ends_on=ends,
            currency="USD",
            budget=budget,
            unallocated=budget,
            carry_over=CarryOver.NONE,
        )
        partner_user = User.objects.get(email=f"partner@{tenant.slug}.test")
        allocations = mdf.bulk_allocate(fund, partners, per_partner, by=partner_user)
        written = mdf.bulk_requests(
            [(a, 40 if a.partner_id == partner_org else 3) for a in allocations], by=partner_user
        )
        print(
            f"MDF data: {len(allocations):,} allocations, {written:,} requests in "
            f"{time.monotonic() - started:.1f}s",
            file=sys.stderr,
        )
    return (
        FundRequest.objects.filter(partner_id=partner_org, status=RequestStatus.COMPLETED)
        .order_by("id")
        .first()
    )


def _api_key(role: str, partner_org, creator: str) -> str:
    """A key as tenancy.services.api_key_create makes one (no actor with MFA in a bench)."""
    import secrets

    from tenancy.context import require_current_tenant
    from tenancy.models import ApiKey, User
    from tenancy.services import API_KEY_PREFIX, hash_api_key

    prefix = secrets.token_hex(4)
    plaintext = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    ApiKey.objects.create(
        tenant=require_current_tenant(),
        name=f"bench load {role}",
        prefix=prefix,
        key_hash=hash_api_key(plaintext),
        role=role,
        partner_organization_id=partner_org,
        created_by=User.objects.get(email=f"{creator}@bench-0.test"),
    )
    return plaintext


def _built() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('tenancy_tenant') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT EXISTS (SELECT 1 FROM tenancy_tenant WHERE slug = 'bench-0')")
        return cursor.fetchone()[0]


def server_env(args, facts: dict) -> dict:
    data_dir = Path(tempfile.gettempdir()) / "prm-bench-load"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.production",
        "SECRET_KEY": SECRET_KEY,
        "DATABASE_URL": args.database,
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
        "EMAIL_URL": "consolemail://",
        "PRM_BASE_DOMAIN": "localhost",
        "ALLOWED_HOSTS": ".localhost,127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "PRM_DATA_DIR": str(data_dir),
        # Capacity, not the per-principal API throttle, is measured.
        "API_RATE_LIMIT": "100000000/min",
        "CEILING_MAX_ID": str(facts["max_id"]),
    }


def start(app: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            app,
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return server
        except urllib.error.HTTPError:
            return server  # it answers
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise RuntimeError(f"{app} did not start on port {port}")


def run_wrk(args, label: str, url: str, method: str, headers: dict) -> Result:
    from datetime import date, timedelta

    close = (date.today() + timedelta(days=30)).isoformat()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(method, headers, close))
    try:
        output = subprocess.run(
            [
                "wrk",
                "-t",
                str(min(args.connections, 2)),
                "-c",
                str(args.connections),
                "-d",
                f"{args.seconds}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=args.seconds + 90,
        )
    finally:
        os.unlink(script.name)
    return parse_wrk(label, output.stdout + output.stderr)


def headers_for(journey: Journey, facts: dict) -> dict:
    headers = {"Host": HOST, "Accept": "text/html"}
    if journey.auth in ("partner", "manager", "executive"):
        headers["Cookie"] = f"sessionid={facts[journey.auth]}"
    elif journey.auth:
        headers["Authorization"] = f"Bearer {facts[journey.auth]}"
        headers["Accept"] = "application/json"
    if journey.method == "POST":
        headers["Content-Type"] = "application/json"
    if journey.htmx:
        headers["HX-Request"] = "true"
    return headers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=DEFAULT_DB)
    parser.add_argument("--scale", type=float, default=1.0, help="of the 1M data set, if built")
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", default="", help="comma-separated journey keys (and/or `sweeps`)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s rounds")
    args = parser.parse_args()
    if args.quick:
        args.seconds = 2
    if not shutil.which("wrk"):
        raise SystemExit("bench/load.py needs wrk: apt-get install -y wrk")
    sys.path.insert(0, str(ROOT))
    facts = prepare(args)
    env = server_env(args, facts)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    picked = [j for j in journeys(facts) if not args.only or j.key in args.only.split(",")]
    ceiling_port, project_port = free_port(), free_port()
    ceiling_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.ceiling.settings"}
    servers = [
        start("bench.ceiling.wsgi", ceiling_port, ceiling_env, args.workers),
        start("prm.wsgi", project_port, env, args.workers),
    ]
    try:
        ceiling = f"http://127.0.0.1:{ceiling_port}"
        rows: list[Result] = []
        ceilings: list[Result] = []
        const = run_wrk(args, "ceiling: constant JSON, no query", f"{ceiling}/constant/", "GET", {})
        for journey in picked:
            ceilings.append(
                run_wrk(args, "ceiling: one indexed query", f"{ceiling}/one/", "GET", {})
            )
            rows.append(
                run_wrk(
                    args,
                    journey.label,
                    f"http://127.0.0.1:{project_port}{journey.path}",
                    journey.method,
                    headers_for(journey, facts),
                )
            )
            print(f"  {journey.key}: {rows[-1].rate:,.1f} req/s", file=sys.stderr, flush=True)
        rate = sum(c.rate for c in ceilings) / len(ceilings) if ceilings else 0.0
        mean = Result("ceiling: one indexed query (mean of rounds)", 0, 0, 0, 0, 0, 0)
        if ceilings:
            mean = Result(
                f"ceiling: one indexed query (mean of {len(ceilings)} rounds)",
                sum(c.requests for c in ceilings),
                sum(c.seconds for c in ceilings),
                max(c.p50 for c in ceilings),
                max(c.p95 for c in ceilings),
                max(c.p99 for c in ceilings),
                sum(c.errors for c in ceilings),
            )
        print(
            f"\n{args.connections} connections, {args.seconds} s per round, gunicorn "
            f"{args.workers} sync workers each; ceiling p50/p95/p99 = worst round\n"
        )
        print(report([mean, const, *rows], rate))
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)
    if not args.only or "sweeps" in args.only.split(","):
        run_sweeps(args)


def run_sweeps(args) -> None:
    """The scheduled deal sweeps (lock expiry, approval SLA) once each on the largest tenant, as
    the worker runs them, after the servers stopped: bench/deal_sweeps.py (rolled back, so every
    run times the same backlog). Target: each <= 10 s, queries independent of rows touched."""
    print("\nscheduled sweeps, largest tenant (bench/deal_sweeps.py, rolled back):", flush=True)
    subprocess.run(
        [sys.executable, str(ROOT / "bench/deal_sweeps.py")],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": args.database},
        check=True,
    )


if __name__ == "__main__":
    main()
