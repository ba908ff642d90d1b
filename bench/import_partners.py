"""Benchmark: check and import a 10,000-row partner file; print the time of each phase.

    .venv/bin/python bench/import_partners.py [--rows 10000] [--format csv|xlsx] [--existing N]

Runs against a throw-away test database (SQLite under a temporary folder unless PRM_DATA_DIR or
DATABASE_URL say otherwise; on Postgres the database is `test_<name>`), created and dropped here,
so it never touches development data. The phases are timed separately: reading and checking the
file (what runs after upload), writing it in one transaction (what runs after "Import"), and the
IPP rescoring the import triggers after commit. `--existing N` first creates N partners that the
file then updates (the rest are new).
"""

from __future__ import annotations

import argparse
import csv
import io
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
    os.environ["PRM_DATA_DIR"] = tempfile.mkdtemp(prefix="prm-bench-import-")
    TEMP_DIRS.append(os.environ["PRM_DATA_DIR"])


def build_rows(count: int, manager_email: str) -> list[list[str]]:
    from partners.selectors.imports import COLUMNS

    types = ["reseller", "referral", "isv", "msp", "affiliate"]
    rows = [list(COLUMNS)]
    for n in range(count):
        rows.append(
            [
                f"Bench Partner {n:05d}",
                f"Bench Partner {n:05d} Ltd",
                f"https://bench-{n:05d}.example",
                ["DE", "US", "FR", "JP", "BR"][n % 5],
                ["EMEA", "NA; LATAM", "APAC", "EMEA; APAC"][n % 4],
                "Manufacturing; Retail",
                ["1–10", "11–50", "51–200", "201–1,000"][n % 4],
                ["Under $1M", "$1M–$10M", "$10M–$50M"][n % 3],
                types[n % 5],
                types[n % 5],
                "Kubernetes; AWS; Terraform",
                ["transactional", "solution", "consultative"][n % 3],
                "yes" if n % 2 else "no",
                "prospect",
                manager_email if n % 3 == 0 else "",
                f"Contact {n}",
                f"contact{n}@bench-{n:05d}.example",
                "Partner manager",
                "primary",
            ]
        )
    return rows


def encode(rows: list[list[str]], file_format: str) -> bytes:
    if file_format == "xlsx":
        import tablib

        data = tablib.Dataset(headers=rows[0])
        for row in rows[1:]:
            data.append(row)
        return data.export("xlsx")
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    parser.add_argument("--existing", type=int, default=0)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.files.base import ContentFile
    from django.db import connection

    settings.MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="prm-bench-media-"))
    TEMP_DIRS.append(str(settings.MEDIA_ROOT))
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, ContentFile)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        for folder in TEMP_DIRS:
            shutil.rmtree(folder, ignore_errors=True)


def run(args, ContentFile) -> None:
    from partners.models import ImportStatus, PartnerImport, PartnerOrganization
    from partners.services import imports as services
    from partners.services.ipp import score_tenant
    from tenancy.access import actor_for_user
    from tenancy.context import tenant_context
    from tenancy.models import Membership, Tenant, User
    from tenancy.roles import Role

    tenant = Tenant.objects.create(slug="bench-import", name="Bench Import")
    admin = User.objects.create_user(email="admin@bench.example", password=None)
    manager = User.objects.create_user(email="manager@bench.example", password=None)
    with tenant_context(tenant):
        Membership.objects.create(tenant=tenant, user=admin, role=Role.PROGRAM_ADMIN)
        Membership.objects.create(tenant=tenant, user=manager, role=Role.CHANNEL_MANAGER)
        PartnerOrganization.objects.bulk_create(
            PartnerOrganization(
                tenant=tenant,
                name=f"Bench Partner {n:05d}",
                domain=f"bench-{n:05d}.example",
                website=f"https://bench-{n:05d}.example",
                partner_type="reseller",
            )
            for n in range(args.existing)
        )

    started = time.perf_counter()
    data = encode(build_rows(args.rows, manager.email), args.format)
    generated = time.perf_counter() - started
    print(f"rows: {args.rows:,}  format: {args.format}  file: {len(data) / 1e6:.2f} MB")
    print(f"existing partners: {args.existing:,}  database: {settings_db()}")
    print(f"generate file ........ {generated:7.2f} s")

    # NOTE: the services run in-process here (no broker): the same code the tasks call. The IPP
    # rescoring the import schedules after commit is timed on its own below.
    services.apply._rescore_after_commit = lambda tenant: None
    with tenant_context(tenant):
        partner_import = PartnerImport(tenant=tenant, original_name=f"bench.{args.format}")
        partner_import.file.save(f"bench.{args.format}", ContentFile(data), save=False)
        partner_import.save()

        started = time.perf_counter()
        partner_import = services.partner_import_validate(partner_import=partner_import)
        validated = time.perf_counter() - started
        assert partner_import.status == ImportStatus.READY, partner_import.errors[:5]
        preview = partner_import.preview
        print(
            f"validate ............. {validated:7.2f} s  "
            f"({args.rows / validated:,.0f} rows/s; new {preview['new']:,}, "
            f"updates {preview['updated']:,}, contacts new {preview['contacts_new']:,})"
        )

        PartnerImport.objects.filter(pk=partner_import.pk).update(status=ImportStatus.IMPORTING)
        started = time.perf_counter()
        partner_import = services.partner_import_run(
            partner_import=partner_import, actor=actor_for_user(admin, tenant)
        )
        imported = time.perf_counter() - started
        assert partner_import.status == ImportStatus.DONE, partner_import.errors
        print(
            f"import (1 transaction) {imported:7.2f} s  "
            f"({args.rows / imported:,.0f} rows/s; created {partner_import.created_count:,}, "
            f"updated {partner_import.updated_count:,}; includes re-validation)"
        )

        started = time.perf_counter()
        scored = score_tenant()
        print(
            f"IPP rescoring ........ {time.perf_counter() - started:7.2f} s  ({scored:,} partners)"
        )
        print(f"total validate+import  {validated + imported:7.2f} s")


def settings_db() -> str:
    from django.db import connection

    return connection.vendor


if __name__ == "__main__":
    main()
