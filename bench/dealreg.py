"""Benchmark: deal registration at a million registrations.

    .venv/bin/python bench/dealreg.py                 # build (if needed) and measure
    .venv/bin/python bench/dealreg.py --rebuild       # drop and build the data set again
    .venv/bin/python bench/dealreg.py --accounts 100000 --registrations 100000   # smaller

Needs PostgreSQL (the point is pg_trgm and the indexes at volume): DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/prm_bench_dealreg (created here; never a development database).
The data set: 10 tenants; the largest has --accounts customer accounts, --registrations deal
registrations over --partners partners (every status, ~1 approved lock per account at most), the
nine others 1% of that each. Built with COPY in a few minutes, kept between runs (--rebuild to
start over).

Prints p50/p95/p99 (ms) over --samples requests, in process through Django's test client (the
whole request: middleware, access checks, queries, template; production settings: DEBUG off,
tasks queued, not run), for:
- submitting a registration with conflict detection (POST /api/v1/deal-registrations/),
- the deal-lock search by name and by domain (GET /console/deal-locks/?q=… as the search box
  asks for it: the results, via htmx), and the whole deal-lock page with a name search,
- the partner pipeline page (GET /portal/deals/),
- the approver queue page (GET /console/deals/queue/),
with the query count of each page in the large tenant and in a small one (the same = it does not
grow with data); then requests/second for the submission endpoint served by gunicorn (2 workers)
under concurrent load from a separate process (--load-seconds, --load-threads).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/prm_bench_dealreg"
os.environ.setdefault("DATABASE_URL", DEFAULT_DB)
# Served as in production (DEBUG off, tasks queued for a worker, not run in the request), on the
# embedded broker and cache: the numbers are the web process's own.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("PRM_BASE_DOMAIN", "localhost")
os.environ.setdefault("PRM_DATA_DIR", str(Path(tempfile.gettempdir()) / "prm-bench-dealreg"))

WORDS_B = [
    "Logistics",
    "Health",
    "Bank",
    "Energy",
    "Retail",
    "Foods",
    "Media",
    "Systems",
    "Labs",
    "Capital",
    "Motors",
    "Pharma",
    "Telecom",
    "Insurance",
    "Foods",
    "Software",
    "Analytics",
    "Robotics",
    "Airlines",
    "Shipping",
    "Textiles",
    "Mining",
    "Chemicals",
    "Hotels",
    "Studios",
    "Clinics",
    "Partners",
    "Networks",
    "Foundry",
    "Works",
]
SUFFIXES = ("Inc.", "Corp", "GmbH", "Ltd", "LLC", "SA", "Group", "AG", "BV", "")
# Decided registrations; those created in the last PENDING_DAYS days are still pending (a
# backlog of ~4 days of submissions: ~5,500 in the largest tenant, as at ~1,400 a day).
STATUSES = ["approved"] * 30 + ["rejected"] * 15 + ["won"] * 22 + ["lost"] * 18 + ["expired"] * 15
PENDING_DAYS = 4


SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "zan",
    "tel",
    "vor",
    "lu",
    "pex",
    "dra",
    "qui",
    "sol",
    "ber",
    "nat",
    "gri",
    "fen",
    "mor",
    "tav",
    "ix",
    "on",
    "el",
    "ar",
    "bex",
    "cor",
    "dun",
    "fal",
    "gan",
    "hel",
    "jor",
    "kel",
    "lam",
    "mer",
    "nor",
    "pol",
    "rav",
    "sen",
    "tor",
    "ul",
    "vin",
    "wes",
    "yor",
    "zel",
    "bri",
    "cla",
    "fro",
    "glo",
    "pra",
    "sta",
    "tri",
    "vex",
]


def word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def company(rng: random.Random, n: int) -> tuple[str, str]:
    """A varied company name ("Zantel Vorpex Logistics GmbH") and its domain, unique by n."""
    first = word(rng)
    second = word(rng) if rng.random() < 0.6 else ""
    industry = rng.choice(WORDS_B) if rng.random() < 0.7 else ""
    name = " ".join(part for part in (first, second, industry) if part)
    suffix = rng.choice(SUFFIXES)
    domain = f"{first.lower()}{second.lower()}-{n}.example"
    return (f"{name} {suffix}".strip(), domain)


def django_setup():
    import django

    django.setup()


def ensure_database(rebuild: bool) -> bool:
    """Create the bench database if missing; True when it must be (re)built."""
    import psycopg

    url = os.environ["DATABASE_URL"]
    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and rebuild:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def copy_rows(model, rows: list[dict], fields: list[str], values) -> None:
    """COPY rows into the model's table; `values(row)` gives a row's column values in order."""
    from django.db import connection

    table = model._meta.db_table
    columns = [model._meta.get_field(f).column for f in fields]
    connection.ensure_connection()
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    # The psycopg 3 connection under Django's, inside the same transaction.
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(values(row))


def model_defaults(model, overrides: dict) -> list[str]:
    """Every concrete column the COPY must fill: overrides + each field's Python default."""
    fields = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        name = field.attname if field.is_relation else field.name
        key = field.name
        if key not in overrides and name not in overrides:
            if field.null:
                continue
            if not field.has_default() and not (field.blank and field.empty_strings_allowed):
                raise SystemExit(f"bench: no value for {model.__name__}.{key}")
        fields.append(key)
    return fields


def value_for(field_obj, overrides: dict, key: str):
    value = overrides[key] if key in overrides else field_obj.get_default()
    if isinstance(value, list | dict):
        return json.dumps(value)
    if hasattr(value, "pk"):
        return value.pk
    return value


def build(args) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from dealreg.models import CustomerAccount, DealRegistration
    from dealreg.services.accounts import normalize_account_name
    from dealreg.services.matching import account_words_recount
    from onboarding.models import Milestone, MilestoneKey
    from partners.models import PartnerOrganization
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant, User
    from tenancy.roles import Role

    t0 = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.monotonic() - t0:.1f}s")
    password = make_password("bench-pass-2026")
    rng = random.Random(2026)
    now = datetime.now(UTC)
    for t in range(args.tenants):
        scale = 1.0 if t == 0 else 0.01
        n_accounts = int(args.accounts * scale)
        n_regs = int(args.registrations * scale)
        n_partners = max(20, int(args.partners * (1.0 if t == 0 else 0.04)))
        started = time.monotonic()
        tenant = Tenant.objects.create(name=f"Bench {t}", slug=f"bench-{t}")
        with tenant_context(tenant), transaction.atomic():
            staff = {}
            for local, role in (
                ("admin", Role.PROGRAM_ADMIN),
                ("manager", Role.CHANNEL_MANAGER),
                ("manager2", Role.CHANNEL_MANAGER),
                ("sales", Role.DIRECT_SALES),
            ):
                user = User.objects.create(email=f"{local}@bench-{t}.test", password=password)
                Membership.objects.create(tenant=tenant, user=user, role=role)
                staff[local] = user
            managers = [staff["manager"], staff["manager2"]]
            partners = PartnerOrganization.objects.bulk_create(
                [
                    PartnerOrganization(
                        tenant=tenant,
                        name=f"Bench Partner {t}-{i:05d}",
                        partner_type="reseller",
                        state="active",
                        channel_manager=managers[i % 2],
                        regions=["EMEA"],
                    )
                    for i in range(n_partners)
                ],
                batch_size=2000,
            )
            # The first partner has a portal admin (the pipeline page and the submissions).
            user = User.objects.create(email=f"partner@bench-{t}.test", password=password)
            Membership.objects.create(
                tenant=tenant, user=user, role=Role.PARTNER_ADMIN, partner_organization=partners[0]
            )
            Milestone.objects.bulk_create(
                [
                    Milestone(
                        tenant=tenant, partner=p, key=MilestoneKey.TRAINING_101, reached_at=now
                    )
                    for p in partners
                ],
                batch_size=5000,
            )

            accounts = []
            names = []
            for i in range(n_accounts):
                name, domain = company(rng, i)
                names.append((name, domain))
                overrides = {
                    "tenant": tenant.pk,
                    "uuid": uuid.uuid4(),
                    "name": name,
                    "normalized_name": normalize_account_name(name),
                    "domain": domain,
                    "region": rng.choice(["NA", "EMEA", "APAC", "LATAM"]),
                    "created_at": now - timedelta(days=rng.randint(0, 900)),
                }
                if i % 20 == 0:
                    overrides["owner"] = staff["sales"].pk
                    overrides["claimed_at"] = overrides["created_at"]
                accounts.append(overrides)
                if len(accounts) == 100_000:
                    _copy(CustomerAccount, accounts)
                    accounts = []
            if accounts:
                _copy(CustomerAccount, accounts)
            account_ids = list(CustomerAccount.objects.order_by("id").values_list("id", flat=True))
            regs = []
            for i in range(n_regs):
                account_index = i % max(1, len(account_ids))
                name, domain = names[account_index]
                status = STATUSES[i % len(STATUSES)] if i < len(account_ids) else "rejected"
                created = now - timedelta(minutes=rng.randint(30, 720 * 1440))
                if created > now - timedelta(days=PENDING_DAYS):
                    # Not decided yet: an approver decides within days (SLA 48 business hours).
                    status = rng.choice(["submitted", "submitted", "under_review"])
                decided = min(now, created + timedelta(hours=rng.randint(2, 120)))
                partner = partners[rng.randrange(len(partners))]
                row = {
                    "tenant": tenant.pk,
                    "uuid": uuid.uuid4(),
                    "partner": partner.pk,
                    "account": account_ids[account_index],
                    "customer_name": name,
                    "customer_domain": domain,
                    "region": rng.choice(["NA", "EMEA", "APAC", "LATAM"]),
                    "products": [rng.choice(["Platform", "Security", "Analytics"])],
                    "estimated_value": Decimal(rng.randrange(5_000, 500_000, 100)),
                    "currency": "USD",
                    "expected_close_date": (created + timedelta(days=60)).date(),
                    "status": status,
                    "created_at": created,
                    "submitted_at": created,
                    "assigned_to": partner.channel_manager_id,
                    "sla_due_at": created + timedelta(hours=72),
                }
                if status not in ("submitted", "under_review"):
                    row["decided_at"] = decided
                if status in ("approved", "won", "lost", "expired"):
                    row["approved_at"] = decided
                    row["expires_at"] = decided + timedelta(days=90)
                    if status == "approved":
                        # Live locks: expiring in the future.
                        row["expires_at"] = now + timedelta(days=rng.randint(1, 90))
                regs.append(row)
                if len(regs) == 100_000:
                    _copy(DealRegistration, regs)
                    regs = []
            if regs:
                _copy(DealRegistration, regs)
            # The trigger counted each word in the COPY chunk that brought it; count them all
            # (as the hourly beat task does).
            account_words_recount()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"tenant bench-{t}: {n_partners} partners, {n_accounts} accounts, {n_regs} "
            f"registrations in {time.monotonic() - started:.1f}s"
        )


# Columns per model, from the first chunk's keys (every chunk sets the same optional keys).
_FIELDS: dict = {}


def _copy(model, rows: list[dict]) -> None:
    if model not in _FIELDS:
        keys = set().union(*(r.keys() for r in rows[:1000]))
        names = model_defaults(model, dict.fromkeys(keys, None))
        _FIELDS[model] = [(name, model._meta.get_field(name)) for name in names]
    fields = _FIELDS[model]
    # Defaults computed once per chunk (the bench does not need a fresh timestamp per row).
    defaults = {
        name: value_for(field, {}, name) if field.has_default() else None if field.null else ""
        for name, field in fields
    }

    def values(row: dict):
        out = []
        for name, _field in fields:
            value = row[name] if name in row else defaults[name]
            if isinstance(value, list | dict):
                value = json.dumps(value)
            out.append(value)
        return out

    copy_rows(model, rows, [name for name, _ in fields], values)


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


# What the measured requests read: loaded into the OS page cache before measuring, so the numbers
# are a running server's (this VM reclaims idle page cache; a cold read of a random account page
# would otherwise be timed).
HOT_TABLES = (
    "dealreg_customeraccount",
    "dealreg_dealregistration",
    "dealreg_accountnameword",
    "partners_partnerorganization",
)


def prewarm() -> None:
    from django.db import connection

    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        cursor.execute(
            "SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c "
            "WHERE c.relname = ANY(%s) OR c.oid IN ("
            "  SELECT indexrelid FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid"
            "  WHERE t.relname = ANY(%s))",
            [list(HOT_TABLES), list(HOT_TABLES)],
        )
        blocks = cursor.fetchone()[0]
    print(f"prewarmed {blocks * 8 // 1024} MB in {time.monotonic() - started:.1f}s")


def measure(args) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tenancy.context import tenant_context
    from tenancy.models import Tenant, User

    prewarm()
    rng = random.Random(7)
    results = {}

    def client_for(email: str, slug: str) -> Client:
        client = Client(HTTP_HOST=f"{slug}.localhost")
        client.force_login(User.objects.get(email=email))
        return client

    big = "bench-0"
    partner = client_for(f"partner@{big}.test", big)
    rep = client_for(f"sales@{big}.test", big)
    manager = client_for(f"manager@{big}.test", big)
    # The queue is measured as a channel manager (program admins need MFA in the console).

    api = reverse("deal-registration-list")

    # Existing account names (a sample) for near-duplicate submissions and searches.
    from dealreg.models import CustomerAccount

    with tenant_context(Tenant.objects.get(slug=big)):
        sample = list(CustomerAccount.objects.order_by("?").values_list("name", "domain")[:500])

    def submit(i: int) -> None:
        # Half near-duplicates of existing accounts ("... Corporation"), half new companies.
        if i % 2:
            name = sample[i % len(sample)][0].rsplit(" ", 1)[0] + " Corporation"
        else:
            name = " ".join(company(rng, 10_000_000 + i)[0].split()[:-1]) or "Newco"
        response = partner.post(
            api,
            data={
                "customer_name": name,
                "customer_domain": f"new-{uuid.uuid4().hex[:10]}.example",
                "estimated_value": "25000",
                "currency": "USD",
                "expected_close_date": (datetime.now(UTC) + timedelta(days=45)).date().isoformat(),
                "region": "EMEA",
            },
            content_type="application/json",
        )
        assert response.status_code == 201, (response.status_code, response.content[:300])

    locks = reverse("console_deal_locks")

    def typed(i: int) -> str:
        # What a rep types: the first word or two of a customer's name.
        words = sample[i % len(sample)][0].split()
        return " ".join(words[: 1 + i % 2])

    # The search itself is what typing in the box asks for: the results (htmx), not the page.
    live = {"HTTP_HX_REQUEST": "true"}

    def lock_by_name(i: int) -> None:
        response = rep.get(locks, {"q": typed(i)}, **live)
        assert response.status_code == 200 and b"lock-table" in response.content

    def lock_by_domain(i: int) -> None:
        assert rep.get(locks, {"q": sample[i % len(sample)][1]}, **live).status_code == 200

    def lock_page(i: int) -> None:
        assert rep.get(locks, {"q": typed(i)}).status_code == 200

    pipeline = reverse("portal_deals")
    queue = reverse("console_deal_queue")
    for label, fn in (
        ("submit registration (conflict detection)", submit),
        ("deal-lock search by name", lock_by_name),
        ("deal-lock search by domain", lock_by_domain),
        ("deal-lock page with a name search", lock_page),
        ("partner pipeline page", lambda i: partner.get(pipeline)),
        ("approver queue page", lambda i: manager.get(queue)),
    ):
        if args.only and not any(word in label for word in args.only.split(",")):
            continue
        fn(0)  # warm up
        results[label] = timed(fn, args.samples)
        print(f"{label:45s} {percentiles(results[label])}")

    print("\nqueries per page (large tenant / small tenant):")
    small = "bench-1"
    small_clients = {
        "partner": client_for(f"partner@{small}.test", small),
        "sales": client_for(f"sales@{small}.test", small),
        "manager": client_for(f"manager@{small}.test", small),
    }
    for label, (who, url, params) in {
        "deal-lock search": ("sales", locks, {"q": "Kato"}),
        "partner pipeline": ("partner", pipeline, {}),
        "approver queue": ("manager", queue, {}),
    }.items():
        counts = []
        for client in (
            {"partner": partner, "sales": rep, "manager": manager}[who],
            small_clients[who],
        ):
            with CaptureQueriesContext(connection) as ctx:
                client.get(url, params)
            counts.append(len(ctx.captured_queries))
        print(f"  {label:20s} {counts[0]:3d} / {counts[1]:3d}")

    if not args.only and args.load_seconds > 0:  # --load-seconds 0: no load run
        load(args)


def load(args) -> None:
    """Submission requests/second against gunicorn, load from a separate process."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        # Capacity, not the per-principal API throttle (600/min by default), is measured here.
        "API_RATE_LIMIT": "1000000/min",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "prm.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(4)
        output = subprocess.run(
            [
                sys.executable,
                __file__,
                "--load-client",
                str(port),
                "--load-seconds",
                str(args.load_seconds),
                "--load-threads",
                str(args.load_threads),
            ],
            cwd=ROOT,
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=args.load_seconds + 120,
        )
        print(output.stdout.strip() or output.stderr[-2000:])
    finally:
        server.terminate()
        server.wait(timeout=20)


def load_client(port: int, seconds: int, threads: int) -> None:
    """The separate load process: `threads` clients posting registrations for `seconds`."""
    import requests

    django_setup()
    from django.test import Client

    from tenancy.models import User

    # A logged-in session cookie made here, used over real HTTP.
    client = Client(HTTP_HOST="bench-0.localhost")
    client.force_login(User.objects.get(email="partner@bench-0.test"))
    session = client.cookies["sessionid"].value
    csrf = uuid.uuid4().hex  # a valid 32-character CSRF secret, sent as cookie and header
    url = f"http://127.0.0.1:{port}/api/v1/deal-registrations/"
    stop = time.monotonic() + seconds
    ok = [0] * threads
    errors = [0] * threads

    def worker(n: int) -> None:
        http = requests.Session()
        http.headers.update(
            {
                "Host": "bench-0.localhost",
                "X-CSRFToken": csrf,
                "Referer": "http://bench-0.localhost/",
            }
        )
        http.cookies.set("sessionid", session)
        http.cookies.set("csrftoken", csrf)
        while time.monotonic() < stop:
            response = http.post(
                url,
                json={
                    "customer_name": f"Load Co {uuid.uuid4().hex[:10]}",
                    "customer_domain": f"load-{uuid.uuid4().hex[:12]}.example",
                    "estimated_value": "10000",
                    "currency": "USD",
                    "expected_close_date": (datetime.now(UTC) + timedelta(days=30))
                    .date()
                    .isoformat(),
                },
                timeout=30,
            )
            if response.status_code == 201:
                ok[n] += 1
            else:
                errors[n] += 1

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    print(
        f"submission endpoint under load ({threads} clients, {seconds}s, gunicorn 2 workers): "
        f"{sum(ok) / seconds:.1f} requests/s, {sum(errors)} errors"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=1_000_000)
    parser.add_argument("--registrations", type=int, default=1_000_000)
    parser.add_argument("--partners", type=int, default=5_000)
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--load-seconds", type=int, default=20)
    parser.add_argument("--load-threads", type=int, default=8)
    parser.add_argument(
        "--only", default="", help="measure only these (comma-separated words of the labels)"
    )
    parser.add_argument("--load-client", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load_client:
        load_client(args.load_client, args.load_seconds, args.load_threads)
        return
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        raise SystemExit("bench/dealreg.py needs PostgreSQL (DATABASE_URL=postgres://...)")
    fresh = ensure_database(args.rebuild)
    django_setup()
    from django.core.management import call_command

    if fresh:
        build(args)
    else:
        call_command("migrate", verbosity=0)  # a kept data set follows schema changes
    call_command("collectstatic", interactive=False, verbosity=0)  # as `make setup` does
    measure(args)


if __name__ == "__main__":
    main()
