"""Benchmark: beat's periodic sweeps at 1,000 tenants of which 10 have due work.

    .venv/bin/python bench/sweeps.py [--tenants 1000] [--due 10]

Runs against a throw-away test database (SQLite under a temporary folder unless PRM_DATA_DIR or
DATABASE_URL say otherwise; on Postgres the database is `test_<name>`), created and dropped here.
Every tenant has some history (a partner with a finished onboarding run); `--due` of them also
have a failed onboarding run whose retry is due, the work of the every-minute sweep.

For each of the seven beat tasks that fan out per tenant it prints, per beat firing, the tasks
sent, the database queries (beat's query plus the sweeps' own, run in-process as the worker
would), the wall time and the ProcessedTask rows written:

- before: what the code did until issue 10: one sweep task for every active tenant, each
  claiming a ProcessedTask row (the per-tenant tasks are run here with that claim switched on);
- after: the beat task as it is now: one query for the tenants with due work, a claim-free sweep
  for those only.

Then ProcessedTask rows per day at the beat intervals of CELERY_BEAT_SCHEDULE, before/after.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.test")
TEMP_DIRS: list[str] = []  # removed at the end
if "PRM_DATA_DIR" not in os.environ and "DATABASE_URL" not in os.environ:
    os.environ["PRM_DATA_DIR"] = tempfile.mkdtemp(prefix="prm-bench-sweeps-")
    TEMP_DIRS.append(os.environ["PRM_DATA_DIR"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--due", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    # The eager tasks' per-task log lines are not the numbers asked for.
    for name in ("celery", "kombu", "tenancy.tasks", "tenancy.hosts"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from django.db import connection

    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        for folder in TEMP_DIRS:
            shutil.rmtree(folder, ignore_errors=True)


def build(tenant_count: int, due_count: int) -> None:
    import hashlib
    from datetime import timedelta

    from django.utils import timezone

    from onboarding.models import AgreementSignature, AgreementTemplate, OnboardingRun, RunStatus
    from partners.models import PartnerOrganization
    from tenancy.context import tenant_context
    from tenancy.models import Tenant

    now = timezone.now()
    Tenant.objects.bulk_create(
        Tenant(slug=f"bench{n:05d}", name=f"Bench {n:05d}") for n in range(tenant_count)
    )
    tenants = list(Tenant.objects.order_by("pk"))
    due = {t.pk for t in tenants[:: max(1, tenant_count // max(1, due_count))][:due_count]}
    body = "# Partner agreement\n\nThe partner agrees to the terms.\n"
    for tenant in tenants:
        with tenant_context(tenant):
            partner = PartnerOrganization.objects.create(
                tenant=tenant, name="Partner", domain=f"{tenant.slug}.example"
            )
            template = AgreementTemplate.objects.create(
                tenant=tenant, title="Agreement", version=1, body=body, published_at=now
            )
            signature = AgreementSignature.objects.create(
                tenant=tenant,
                partner=partner,
                template=template,
                text_signed=body,
                text_sha256=hashlib.sha256(body.encode()).hexdigest(),
                signer_name="Signer",
                signer_email="signer@partner.example",
                signed_at=now - timedelta(days=90),
            )
            failed = tenant.pk in due
            OnboardingRun.objects.create(
                tenant=tenant,
                partner=partner,
                signature=signature,
                status=RunStatus.FAILED if failed else RunStatus.DONE,
                next_attempt_at=now - timedelta(minutes=1) if failed else None,
            )


def measure(fn) -> tuple[int, float, int, object]:
    """(queries, seconds, ProcessedTask rows written, result) of fn()."""
    from django.db import connection

    from tenancy.models import ProcessedTask

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    rows_before = ProcessedTask.objects.count()
    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
    return queries, seconds, ProcessedTask.objects.count() - rows_before, result


def run(args) -> None:
    from unittest import mock

    from django.conf import settings
    from django.db import connection, transaction

    from dealreg import sweeps as deal_sweeps
    from enablement.certs import tasks as cert_tasks
    from onboarding.tasks import cadence as cadence_tasks
    from onboarding.tasks import workflow as workflow_tasks
    from partners.tasks import tiers as tier_tasks
    from tenancy.models import ProcessedTask, Tenant

    fan_outs = [
        (
            "onboarding-retry-due",
            workflow_tasks.retry_due_runs_all_tenants,
            workflow_tasks.retry_due,
        ),
        (
            "onboarding-cadence",
            cadence_tasks.send_due_cadence_all_tenants,
            cadence_tasks.send_due_cadence,
        ),
        ("deal-sla", deal_sweeps.sla_sweep_all_tenants, deal_sweeps.sla_sweep),
        ("deal-expiry", deal_sweeps.expiry_sweep_all_tenants, deal_sweeps.expiry_sweep),
        ("deal-account-words", deal_sweeps.account_words_all_tenants, deal_sweeps.account_words),
        (
            "recert-reminders",
            cert_tasks.send_recert_reminders_all_tenants,
            cert_tasks.send_recert_reminders,
        ),
        ("evaluate-tiers", tier_tasks.evaluate_all_tenants, tier_tasks.evaluate_tenant_tiers),
    ]

    started = time.perf_counter()
    build(args.tenants, args.due)
    print(
        f"tenants: {args.tenants:,}  with a retry due: {args.due}  database: {connection.vendor}"
        f"  (built in {time.perf_counter() - started:.1f} s)"
    )
    print("per beat firing; queries = beat's + the sweeps' (run in-process, as the worker would)")
    print(f"{'beat entry':<20} {'':>6} {'tasks':>6} {'queries':>8} {'time':>9} {'rows':>6}")

    # What a due sweep enqueues (the retried onboarding run) is not the sweep's cost: not run.
    mock.patch.object(workflow_tasks.run_onboarding, "apply_async").start()
    per_day: dict[str, tuple[int, int]] = {}
    for entry, beat_task, sweep in fan_outs:
        interval = settings.CELERY_BEAT_SCHEDULE[entry]["schedule"]

        def before(sweep=sweep) -> int:
            # The old fan-out: every active tenant, each task claiming its ProcessedTask row.
            ids = list(Tenant.objects.filter(is_active=True).values_list("pk", flat=True))
            with mock.patch.object(sweep, "claim", True):
                for tenant_id in ids:
                    sweep.apply(kwargs={"tenant_id": tenant_id})
            return len(ids)

        results = {}
        for label, fn in (("before", before), ("after", beat_task)):
            sid = transaction.savepoint() if connection.in_atomic_block else None
            queries, seconds, rows, sent = measure(fn)
            if sid:
                transaction.savepoint_rollback(sid)
            else:
                ProcessedTask.objects.all().delete()
            results[label] = rows
            print(
                f"{entry:<20} {label:>6} {sent:>6,} {queries:>8,} {seconds * 1000:>7.0f} ms"
                f" {rows:>6,}"
            )
        firings = 86400 / interval
        per_day[entry] = (round(results["before"] * firings), round(results["after"] * firings))
    before_day = sum(b for b, _ in per_day.values())
    after_day = sum(a for _, a in per_day.values())
    print(
        f"ProcessedTask rows per day (all seven, at the beat intervals): before {before_day:,}"
        f" ({before_day / args.tenants:,.0f} per tenant), after {after_day:,}"
    )


if __name__ == "__main__":
    main()
