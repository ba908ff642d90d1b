"""EXPLAIN (ANALYZE, BUFFERS) of the deal-registration API list on the benchmark data set.

    .venv/bin/python bench/api_list_plans.py     # DATABASE_URL: the bench/dealreg.py database

Prints the plans of the list query as `GET /api/v1/deal-registrations/` runs it, in the largest
tenant, for a vendor key (program admin: every registration) and a key of the partner with the
most registrations: the first page and a page far down (a cursor at row 20,000 or the middle).
Read-only. docs/performance.md ("API list") has the before/after.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench_dealreg")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("PRM_BASE_DOMAIN", "localhost")
os.environ.setdefault("PRM_DATA_DIR", str(Path(tempfile.gettempdir()) / "prm-bench-dealreg"))


def explain(label: str, qs) -> None:
    from django.db import connection

    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        print(f"--- {label}\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n")


def main() -> None:
    import django

    django.setup()
    from django.db.models import Count

    from dealreg.api.registration import DealRegistrationViewSet
    from dealreg.models import DealRegistration
    from dealreg.selectors.queue import visible_deals
    from tenancy.access import Actor
    from tenancy.api.pagination import _after
    from tenancy.context import tenant_context
    from tenancy.models import ApiKey, Tenant

    largest = (
        DealRegistration.objects.unscoped()
        .values("tenant")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    tenant = Tenant.objects.get(pk=largest["tenant"])
    print(f"tenant {tenant.slug}: {largest['n']:,} registrations")
    with tenant_context(tenant):
        busiest = (
            DealRegistration.objects.values("partner").annotate(n=Count("id")).order_by("-n")[0]
        )
        print(f"partner {busiest['partner']}: {busiest['n']:,} registrations\n")
        actors = {
            "vendor key": Actor(tenant=tenant, api_key=ApiKey(tenant=tenant, role="program_admin")),
            "partner key": Actor(
                tenant=tenant,
                api_key=ApiKey(
                    tenant=tenant, role="partner_sales", partner_organization_id=busiest["partner"]
                ),
            ),
        }
        paginator = DealRegistrationViewSet().paginator
        for name, actor in actors.items():
            ordered = visible_deals(actor).order_by(*paginator.ordering)
            explain(f"{name}: first page", ordered[: paginator.page_size + 1])
            n = min(20_000, (busiest["n"] if "partner" in name else largest["n"]) // 2)
            boundary = paginator.position_of(ordered[n])
            after = ordered.filter(_after(paginator.ordering, boundary))
            explain(f"{name}: the page after row {n:,}", after[: paginator.page_size + 1])


if __name__ == "__main__":
    main()
