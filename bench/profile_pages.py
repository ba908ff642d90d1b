"""Where a request's time goes: each journey profiled in process, time split by area.

    .venv/bin/python bench/profile_pages.py                     # every journey, 50 requests each
    .venv/bin/python bench/profile_pages.py --only queue,api --requests 100 --top 15
    .venv/bin/python bench/profile_pages.py --only "portal home" --sql   # and each query

Runs on the data set of bench/dealreg.py (built there, reused here; same DATABASE_URL default),
plus bench/portal_content.py's assets, courses and onboarding steps for the portal journeys
(the asset list, the home page's checklist), with the same settings (DEBUG off, tasks queued),
through Django's test client under cProfile. For each journey it prints the median
milliseconds per request without the profiler, then the profiled time by area — the SQL round
trips (time inside the database driver), the ORM's Python side, template rendering, middleware
and sessions, access checks, navigation, serializers, our own app code, the rest of Django —
plus the query count and the functions that cost the most of their own time. Areas are told
apart by the file each function lives in, so the split is of *own* time (tottime) and adds up
to the whole.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_dealreg", HERE / "dealreg.py")
bench_dealreg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_dealreg)  # sets the environment (database, settings)

# (area, path fragments) in order: the first that matches a function's file names its area.
AREAS = (
    ("SQL (driver, waiting on PostgreSQL)", ("/psycopg/", "/psycopg_pool/", "backends/utils.py")),
    ("templates", ("/django/template/", "/templatetags/", "/django/templatetags/")),
    (
        "serializers (DRF)",
        ("/rest_framework/serializers", "/rest_framework/fields", "/rest_framework/relations"),
    ),
    ("DRF views, auth, pagination", ("/rest_framework/",)),
    ("ORM (Python side)", ("/django/db/",)),
    (
        "sessions, auth, allauth",
        ("/django/contrib/sessions/", "/django/contrib/auth/", "/allauth/"),
    ),
    ("access checks (tenancy.access, guardian)", ("/tenancy/access.py", "/guardian/")),
    (
        "navigation and menus",
        ("/tenancy/navigation.py", "/prm/context_processors.py", "/tenancy/context_processors.py"),
    ),
    (
        "middleware (ours)",
        ("/tenancy/middleware.py", "/tenancy/hardening.py", "/tenancy/timezones.py"),
    ),
    (
        "our app code",
        (
            "/tenancy/",
            "/partners/",
            "/enablement/",
            "/onboarding/",
            "/dealreg/",
            "/mdf/",
            "/analytics/",
            "/prm/",
        ),
    ),
    # gettext() per label, and asgiref's context-local lookups behind the active language.
    ("translation lookups", ("/django/utils/translation/", "/gettext.py", "/asgiref/local.py")),
    ("Django (the rest)", ("/django/",)),
)


def area_of(filename: str) -> str:
    for area, fragments in AREAS:
        if any(fragment in filename for fragment in fragments):
            return area
    return "Python and other libraries"


def journeys():
    """(label, client role, method, url, params/body, extra) of each journey, largest tenant."""
    from django.urls import reverse

    return [
        (
            "lock search results (htmx)",
            "sales",
            "get",
            reverse("console_deal_locks"),
            {"q": "Kato"},
            {"HTTP_HX_REQUEST": "true"},
        ),
        ("partner pipeline /portal/deals/", "partner", "get", reverse("portal_deals"), {}, {}),
        (
            "partner deal board /portal/deals/board/",
            "partner",
            "get",
            reverse("portal_deal_board"),
            {},
            {},
        ),
        (
            "approver queue /console/deals/queue/",
            "manager",
            "get",
            reverse("console_deal_queue"),
            {},
            {},
        ),
        ("partner portal home", "partner", "get", reverse("portal_home"), {}, {}),
        # The asset list and the home's checklist need bench/portal_content.py's content.
        ("portal asset list /portal/assets/", "partner", "get", reverse("portal_assets"), {}, {}),
        ("api list (partner session)", "partner", "get", reverse("deal-registration-list"), {}, {}),
        ("console partner directory", "manager", "get", reverse("console_partner_list"), {}, {}),
        # The dashboards need bench/analytics.py's facts and rollups (and its executive).
        ("KPI dashboard /console/analytics/", "executive", "get", "/console/analytics/", {}, {}),
        ("channel manager's console home", "manager", "get", "/console/", {}, {}),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--top", type=int, default=8, help="costliest functions per journey")
    parser.add_argument("--only", default="", help="comma-separated words of journey labels")
    parser.add_argument(
        "--sql", action="store_true", help="also print each query of one request, with its time"
    )
    args = parser.parse_args()

    bench_dealreg.django_setup()
    from django.db import OperationalError, ProgrammingError

    from tenancy.models import Tenant

    try:
        built = Tenant.objects.filter(slug="bench-0").exists()
    except (OperationalError, ProgrammingError):
        built = False
    if not built:  # never created here: bench/dealreg.py would take an empty database as built
        raise SystemExit("No data set: run bench/dealreg.py first (it builds it).")
    bench_dealreg.prewarm()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tenancy.models import User

    big = "bench-0"
    clients = {}
    for role, email in (
        ("partner", f"partner@{big}.test"),
        ("sales", f"sales@{big}.test"),
        ("manager", f"manager@{big}.test"),
        ("executive", f"exec@{big}.test"),
    ):
        if not User.objects.filter(email=email).exists():  # bench/analytics.py adds it
            continue
        client = Client(HTTP_HOST=f"{big}.localhost")
        client.force_login(User.objects.get(email=email))
        clients[role] = client

    for label, role, method, url, params, extra in journeys():
        if args.only and not any(word in label for word in args.only.split(",")):
            continue
        if role not in clients:
            print(f"{label}: skipped (no {role}: run bench/analytics.py first)")
            continue
        client = clients[role]

        def call(client=client, method=method, url=url, params=params, extra=extra, label=label):
            response = getattr(client, method)(url, params, **extra)
            if response.status_code >= 400:
                raise SystemExit(f"{label}: HTTP {response.status_code}")
            return response

        call()  # warm up (caches, first-use imports)
        with CaptureQueriesContext(connection) as ctx:
            call()
        queries = len(ctx.captured_queries)
        if args.sql:
            for query in ctx.captured_queries:
                print(f"  {float(query['time']) * 1000:6.1f} ms  {query['sql'][:300]}")
        # Unprofiled first: the profiler roughly doubles the times, the median is what to compare.
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            call()
            timings.append((time.perf_counter() - started) * 1000)
        median = statistics.median(timings)
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            call()
        profiler.disable()
        wall = (time.perf_counter() - started) * 1000 / args.requests
        stats = pstats.Stats(profiler)
        by_area: dict[str, float] = defaultdict(float)
        own = []
        for (filename, line, name), (_cc, _nc, tottime, _ct, callers) in stats.stats.items():
            own.append((tottime, f"{Path(filename).name}:{line} {name}"))
            if filename != "~" or not callers:
                by_area[area_of(filename)] += tottime
                continue
            # A builtin (getattr, any, str.join...) costs its callers' area: split its own time
            # by what each caller spent in it.
            spent = sum(entry[2] for entry in callers.values()) or 1
            for (caller_file, _line, _name), entry in callers.items():
                by_area[area_of(caller_file)] += tottime * entry[2] / spent
        total = sum(by_area.values()) or 1
        print(
            f"\n{label}: {median:.1f} ms/request (median, unprofiled), "
            f"{wall:.1f} ms/request (profiled), {queries} queries"
        )
        for area, seconds in sorted(by_area.items(), key=lambda item: -item[1]):
            per_request = seconds * 1000 / args.requests
            print(f"  {area:45s} {per_request:7.2f} ms  {seconds / total:6.1%}")
        print("  costliest own time:")
        for seconds, where in sorted(own, reverse=True)[: args.top]:
            print(f"    {seconds * 1000 / args.requests:7.2f} ms  {where}")


if __name__ == "__main__":
    sys.exit(main())
