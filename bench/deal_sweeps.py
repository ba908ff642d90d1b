"""Benchmark: deal registration's scheduled sweeps (lock expiry, approval SLA) on the 1M data set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/prm_bench_dealreg \\
        .venv/bin/python bench/deal_sweeps.py [--tenant SLUG] [--at ISO-MOMENT]

Runs each sweep once on the tenant with the most registrations (or --tenant), in-process as the
worker would, inside a transaction that is ROLLED BACK: the shared data set is left as it was,
so the same backlog is timed on every run. Prints the rows touched, the database queries, the
messages written to the outbox and the wall time of each sweep. `--at` moves "now" (the data
set's backlog is what is due at the moment it is run).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm_bench_dealreg")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", default="")
    parser.add_argument("--at", default="")
    args = parser.parse_args()

    import django

    django.setup()
    from datetime import datetime

    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from dealreg.models import DealRegistration
    from dealreg.services.expiry import expiry_sweep
    from dealreg.services.sla import sla_sweep
    from tenancy.context import tenant_context
    from tenancy.models import OutboundEmail, Tenant

    if args.tenant:
        tenant = Tenant.objects.get(slug=args.tenant)
    else:
        top = (
            DealRegistration.objects.unscoped()
            .values("tenant")
            .annotate(n=Count("id"))
            .order_by("-n")
            .first()
        )
        tenant = Tenant.objects.get(pk=top["tenant"])
    now = datetime.fromisoformat(args.at) if args.at else timezone.now()
    print(f"tenant {tenant.slug}, now {now.isoformat()}")
    for name, sweep in (("expiry", expiry_sweep), ("sla", sla_sweep)):
        try:
            with transaction.atomic(), tenant_context(tenant):
                mails_before = OutboundEmail.objects.unscoped().count()
                started = time.perf_counter()
                with CaptureQueriesContext(connection) as queries:
                    counts = sweep(now)
                seconds = time.perf_counter() - started
                mails = OutboundEmail.objects.unscoped().count() - mails_before
                print(
                    f"{name:7} {counts}  queries {len(queries):,}  messages {mails:,}  "
                    f"{seconds:.2f} s"
                )
                raise Rollback
        except Rollback:
            pass


if __name__ == "__main__":
    main()
