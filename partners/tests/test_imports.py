"""Partner import: every row checked first (plain-words errors, nothing written), background
validation and import with progress, all-or-nothing, updates instead of duplicates, CSV and XLSX,
disguised files refused, and who may do it (admin / channel manager 403 / partner 403 / other
tenant 404)."""

from __future__ import annotations

import csv
import html
import io
import re
import time
from pathlib import Path

import pytest
import tablib
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import (
    ImportStatus,
    LifecycleEvent,
    PartnerContact,
    PartnerImport,
    PartnerOrganization,
    PartnerSource,
)
from partners.selectors.imports import COLUMNS, CONTACT_COLUMNS, progress_cache_key
from partners.services import imports as import_services
from partners.tasks.ipp import ipp_recompute_tenant
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

IMPORT_URL = "console_partner_import"


def csv_bytes(rows: list[dict], columns=COLUMNS, delimiter=",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode()


def xlsx_bytes(rows: list[dict], columns=COLUMNS) -> bytes:
    data = tablib.Dataset(headers=list(columns))
    for row in rows:
        data.append([row.get(c, "") for c in columns])
    return data.export("xlsx")


def partner_row(n: int, **values) -> dict:
    return {
        "name": f"Imported {n}",
        "website": f"https://imported-{n}.example",
        "partner_type": "reseller",
        "hq_country": "DE",
        "regions": "EMEA; NA",
        "employee_band": "51–200",
        **values,
    }


def detail_url(partner_import) -> str:
    return reverse("console_partner_import_detail", kwargs={"import_uuid": partner_import.uuid})


def page_text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded, whitespace collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(text.split()).replace(" ,", ",").replace(" :", ":")


def upload(world, user, name, data, capture):
    with capture(execute=True):
        return world.client(user).post(
            reverse(IMPORT_URL), {"file": SimpleUploadedFile(name, data)}
        )


def last_import(world) -> PartnerImport:
    with tenant_context(world.tenant):
        return PartnerImport.objects.latest("created_at")


def start(world, user, partner_import, capture):
    with capture(execute=True):
        response = world.client(user).post(detail_url(partner_import))
    assert response.status_code == 302
    with tenant_context(world.tenant):
        return PartnerImport.objects.get(pk=partner_import.pk)


def partner_count(world) -> int:
    with tenant_context(world.tenant):
        return PartnerOrganization.objects.count()


# --- Errors in plain words, nothing imported ------------------------------------------------------


def test_a_file_with_bad_rows_lists_each_problem_and_imports_nothing(
    acme, django_capture_on_commit_callbacks
):
    rows = [
        partner_row(1),  # row 2: fine, but must not be imported either
        partner_row(2, website="htp:/x"),  # row 3
        partner_row(3, channel_manager_email="nobody@acme.test"),  # row 4
        partner_row(4, partner_type="Resseller"),  # row 5
        partner_row(5, hq_country="Atlantis", co_marketing="maybe"),  # row 6
        partner_row(1),  # row 7: repeats row 2
        partner_row(6, name="", contact_name="Ann"),  # row 8: no name, contact without email
        partner_row(7, website="https://imported-1.example"),  # row 9: domain of row 2 again
    ]
    before = partner_count(acme)
    response = upload(
        acme, acme.admin, "partners.csv", csv_bytes(rows), django_capture_on_commit_callbacks
    )
    partner_import = last_import(acme)
    assert response.status_code == 302
    assert response["Location"] == detail_url(partner_import)
    assert partner_import.status == ImportStatus.INVALID
    problems = {(e["row"], e["field"]) for e in partner_import.errors}
    assert problems == {
        (3, "website"),
        (4, "channel_manager_email"),
        (5, "partner_type"),
        (6, "hq_country"),
        (6, "co_marketing"),
        (7, "name"),
        (8, "name"),
        (8, "contact_email"),
        (9, "website"),
    }
    page = page_text(acme.client(acme.admin).get(detail_url(partner_import)))
    assert "Row 3, website: 'htp:/x' is not a valid web address." in page
    assert "Row 4, channel_manager_email: 'nobody@acme.test' is not a channel manager" in page
    assert "Row 6, hq_country: 'Atlantis' is not a country we know" in page
    assert "Row 7, name: This row repeats row 2" in page
    assert "Nothing was imported" in page
    assert partner_count(acme) == before
    # Nothing to start: an invalid file cannot be imported.
    assert start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks).status == (
        ImportStatus.INVALID
    )
    assert partner_count(acme) == before


def test_unknown_and_missing_columns_are_reported_on_the_header_row(
    acme, django_capture_on_commit_callbacks
):
    data = csv_bytes([{"name": "X", "webiste": "x.example"}], columns=["name", "webiste"])
    upload(acme, acme.admin, "partners.csv", data, django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.INVALID
    assert {(e["row"], e["field"]) for e in partner_import.errors} == {
        (1, "webiste"),
        (1, "partner_type"),
    }


def test_headers_are_read_in_any_case_and_spelling_of_separators(
    acme, django_capture_on_commit_callbacks
):
    data = "Name*\tPartner Type\tHQ-Country\r\nTab Partner\tISV / technology\tJapan\r\n"
    upload(acme, acme.admin, "p.csv", data.encode("cp1252"), django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.READY, partner_import.errors
    assert partner_import.preview["rows"][0]["partner_type"] == "ISV / technology"


def test_existing_partner_state_is_not_moved_by_an_import(acme, django_capture_on_commit_callbacks):
    row = {"name": acme.partner.name, "partner_type": "reseller", "state": "retired"}
    upload(acme, acme.admin, "p.csv", csv_bytes([row]), django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.INVALID
    assert partner_import.errors[0]["field"] == "state"
    assert "does not move existing partners" in partner_import.errors[0]["message"]


# --- A large file, in the background, with progress -----------------------------------------------


def test_a_10000_row_file_imports_in_the_background_with_progress_and_counts(
    acme, django_capture_on_commit_callbacks, monkeypatch
):
    rows = [
        partner_row(
            n,
            channel_manager_email=acme.manager.email if n % 2 else "",
            **(
                {
                    "contact_name": f"Contact {n}",
                    "contact_email": f"c{n}@imported-{n}.example",
                    "contact_role": "sales",
                }
                if n % 10 == 7
                else {}
            ),
        )
        for n in range(10_000)
    ]
    # IPP scoring is the IPP area's follow-up (tested below on a small file): here, only that the
    # import schedules it once.
    scheduled = []
    monkeypatch.setattr(ipp_recompute_tenant, "apply_async", lambda **kw: scheduled.append(kw))
    reports: list[dict] = []
    real_set = cache.set

    def spy(key, value, *args, **kwargs):
        if key.startswith("partners:import-progress:"):
            reports.append(dict(value))
        return real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(cache, "set", spy)
    started = time.monotonic()
    upload(acme, acme.admin, "big.csv", csv_bytes(rows), django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.READY
    assert partner_import.total_rows == 10_000
    assert partner_import.preview["new"] == 10_000
    assert partner_import.preview["contacts_new"] == 1_000
    assert len(partner_import.preview["rows"]) == 20
    validating = [r for r in reports if r["status"] == ImportStatus.VALIDATING]
    assert len(validating) >= 10 and validating[-1]["pct"] == 100
    assert partner_count(acme) == 2  # nothing written by the check

    reports.clear()
    partner_import = start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks)
    elapsed = time.monotonic() - started
    assert partner_import.status == ImportStatus.DONE, partner_import.errors
    assert (partner_import.created_count, partner_import.updated_count) == (10_000, 0)
    assert partner_import.processed_rows == partner_import.total_rows == 10_000
    assert partner_import.progress_pct == 100
    importing = [r["pct"] for r in reports if r["status"] == ImportStatus.IMPORTING]
    assert importing == sorted(importing) and len(set(importing)) >= 10 and importing[-1] == 100
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.filter(source=PartnerSource.IMPORT).count() == 10_000
        assert PartnerContact.objects.filter(partner__source=PartnerSource.IMPORT).count() == 1_000
        assert PartnerOrganization.objects.filter(channel_manager=acme.manager).count() == 5_001
        sample = PartnerOrganization.objects.get(name="Imported 7")
        assert (sample.domain, sample.hq_country.code, sample.regions) == (
            "imported-7.example",
            "DE",
            ["EMEA", "NA"],
        )
        assert (sample.employee_band, sample.partner_types) == ("51", ["reseller"])
        assert sample.contacts.get().role == "sales"
        assert LifecycleEvent.objects.filter(reason="Imported from big.csv").count() == 10_000
        audit = AuditEvent.objects.get(action="partners.imported")
        assert audit.changes["created"] == 10_000 and audit.changes["contacts_created"] == 1_000
        assert audit.target_id == str(partner_import.uuid)
    assert scheduled == [{"kwargs": {"tenant_id": acme.tenant.pk}}]
    assert elapsed < 120, f"10,000 rows took {elapsed:.1f}s"


def test_the_status_page_shows_live_progress_and_polls_while_running(acme):
    with tenant_context(acme.tenant):
        partner_import = PartnerImport.objects.create(
            tenant=acme.tenant,
            original_name="big.csv",
            status=ImportStatus.IMPORTING,
            total_rows=10_000,
        )
    cache.set(
        progress_cache_key(partner_import.uuid),
        {"status": "importing", "done": 4_200, "total": 10_000, "pct": 42},
    )
    response = acme.client(acme.admin).get(detail_url(partner_import), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # the partial only
    assert 'hx-trigger="every 1s"' in html
    assert "width: 42%" in html and "4,200 of 10,000 rows" in html


def test_imported_partners_are_ipp_scored_after_commit(acme, django_capture_on_commit_callbacks):
    upload(
        acme, acme.admin, "p.csv", csv_bytes([partner_row(1)]), django_capture_on_commit_callbacks
    )
    start(acme, acme.admin, last_import(acme), django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.get(name="Imported 1").ipp_scored_at is not None


# --- All or nothing -------------------------------------------------------------------------------


def test_a_failure_midway_rolls_back_everything_and_says_why(
    acme, django_capture_on_commit_callbacks, monkeypatch
):
    rows = [partner_row(n, contact_name="A", contact_email=f"a{n}@x.example") for n in range(700)]
    upload(acme, acme.admin, "p.csv", csv_bytes(rows), django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.READY
    manager_class = type(PartnerContact.objects)
    real_bulk_create = manager_class.bulk_create
    calls = {"contacts": 0}

    def failing_bulk_create(self, objs, *args, **kwargs):
        if self.model is PartnerContact:
            calls["contacts"] += 1
            if calls["contacts"] == 2:  # the second batch: the first one is already written
                raise IntegrityError("simulated constraint violation")
        return real_bulk_create(self, objs, *args, **kwargs)

    monkeypatch.setattr(manager_class, "bulk_create", failing_bulk_create)
    partner_import = start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks)
    assert partner_import.status == ImportStatus.FAILED
    assert "simulated constraint violation" in partner_import.errors[0]["message"]
    assert "Nothing was imported" in partner_import.errors[0]["message"]
    assert partner_count(acme) == 2
    with tenant_context(acme.tenant):
        assert not LifecycleEvent.objects.filter(reason__startswith="Imported").exists()
        assert not AuditEvent.objects.filter(action="partners.imported").exists()
    page = page_text(acme.client(acme.admin).get(detail_url(partner_import)))
    assert "The import failed. Nothing was imported." in page
    # The user may try again: now it goes through.
    monkeypatch.setattr(manager_class, "bulk_create", real_bulk_create)
    partner_import = start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks)
    assert partner_import.status == ImportStatus.DONE
    assert partner_count(acme) == 702


def test_data_changed_since_the_preview_is_caught_before_writing(
    acme, django_capture_on_commit_callbacks
):
    rows = [partner_row(1, channel_manager_email=acme.manager.email), partner_row(2)]
    upload(acme, acme.admin, "p.csv", csv_bytes(rows), django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.READY
    with tenant_context(acme.tenant):
        acme.manager.memberships.update(is_active=False)
    partner_import = start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks)
    assert partner_import.status == ImportStatus.INVALID
    assert partner_import.errors[0]["row"] == 2
    assert partner_count(acme) == 2


# --- Updates, not duplicates; CSV and XLSX --------------------------------------------------------


def test_reimport_updates_matches_by_domain_or_name_instead_of_duplicating(
    acme, django_capture_on_commit_callbacks
):
    rows = [
        partner_row(1, contact_name="Ann", contact_email="ann@imported-1.example"),
        partner_row(2),
    ]
    upload(acme, acme.admin, "p.csv", csv_bytes(rows), django_capture_on_commit_callbacks)
    start(acme, acme.admin, last_import(acme), django_capture_on_commit_callbacks)
    assert partner_count(acme) == 4

    rows = [
        # Same website, new name: matched by domain, renamed.
        partner_row(
            1,
            name="Imported One GmbH",
            contact_name="Ann Lee",
            contact_email="ANN@imported-1.example",
            contact_title="CTO",
        ),
        # A second contact for the same partner on a following row.
        {"name": "Imported One GmbH", "contact_name": "Bob", "contact_email": "bob@x.example"},
        # A new website (no partner has its domain) but a known name: matched by name.
        {"name": "imported 2", "website": "two.example", "partner_type": "referral"},
        # An existing partner of the directory, by domain.
        {
            "name": acme.partner.name,
            "website": acme.partner.website,
            "partner_type": "reseller",
            "skills": "Kubernetes, AWS",
        },
    ]
    columns = ["name", "website", "partner_type", "skills", *CONTACT_COLUMNS]
    upload(
        acme, acme.admin, "p2.xlsx", xlsx_bytes(rows, columns), django_capture_on_commit_callbacks
    )
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.READY, partner_import.errors
    assert (partner_import.preview["new"], partner_import.preview["updated"]) == (0, 3)
    partner_import = start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks)
    assert partner_import.status == ImportStatus.DONE
    assert (partner_import.created_count, partner_import.updated_count) == (0, 3)
    assert partner_count(acme) == 4
    with tenant_context(acme.tenant):
        one = PartnerOrganization.objects.get(domain="imported-1.example")
        assert one.name == "Imported One GmbH"
        assert one.regions == ["EMEA", "NA"]  # column absent from the file: left alone
        contacts = {c.email: (c.name, c.title) for c in one.contacts.all()}
        # Matched by email (any case): updated in place, not duplicated.
        assert contacts == {
            "ANN@imported-1.example": ("Ann Lee", "CTO"),
            "bob@x.example": ("Bob", ""),
        }
        two = PartnerOrganization.objects.get(domain="two.example")
        assert (two.name, two.partner_type) == ("imported 2", "referral")
        assert two.partner_types == ["referral", "reseller"]  # the primary is among the types
        acme.partner.refresh_from_db()
        assert acme.partner.skills == ["Kubernetes", "AWS"]


def test_xlsx_and_semicolon_csv_read_the_same(acme, django_capture_on_commit_callbacks):
    rows = [
        partner_row(
            1,
            employee_band=120,
            revenue_band="$10M–$50M",
            co_marketing="yes",
            partner_types="isv; MSP / services",
            sales_motion="Consultative",
            hq_country="Germany",
            state="Active",
        )
    ]
    upload(acme, acme.admin, "p.xlsx", xlsx_bytes(rows), django_capture_on_commit_callbacks)
    from_xlsx = last_import(acme)
    upload(
        acme,
        acme.admin,
        "p.csv",
        csv_bytes(rows, delimiter=";"),
        django_capture_on_commit_callbacks,
    )
    from_csv = last_import(acme)
    assert from_xlsx.status == from_csv.status == ImportStatus.READY, from_xlsx.errors
    assert from_xlsx.preview == from_csv.preview
    done = start(acme, acme.admin, from_xlsx, django_capture_on_commit_callbacks)
    assert done.created_count == 1
    with tenant_context(acme.tenant):
        p = PartnerOrganization.objects.get(name="Imported 1")
    assert (p.employee_band, p.revenue_band, p.co_marketing) == ("51", "10", True)
    assert (p.partner_type, p.partner_types) == ("reseller", ["reseller", "isv", "msp"])
    assert (p.sales_motion, p.state, p.hq_country.code) == ("consultative", "active", "DE")


def test_the_sample_file_in_the_docs_imports(acme, django_capture_on_commit_callbacks):
    data = (Path(settings.BASE_DIR) / "docs" / "sample-partner-import.csv").read_bytes()
    upload(acme, acme.admin, "sample.csv", data, django_capture_on_commit_callbacks)
    partner_import = last_import(acme)
    assert partner_import.status == ImportStatus.READY, partner_import.errors
    assert (partner_import.total_rows, partner_import.preview["new"]) == (10, 9)
    partner_import = start(acme, acme.admin, partner_import, django_capture_on_commit_callbacks)
    assert partner_import.created_count == 9
    with tenant_context(acme.tenant):
        northwind = PartnerOrganization.objects.get(domain="northwind.example")
        assert northwind.contacts.count() == 2
        assert PartnerOrganization.objects.get(domain="kestrel.example").industries == [
            "Banking, financial services"
        ]


# --- Refused uploads ------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("partners.csv", PNG, "not a CSV text file"),
        ("partners.xlsx", b"name,partner_type\nAcme,reseller\n", "not a readable Excel workbook"),
        ("partners.csv", b"Dear team,\nplease find our partners below.\n", "column names"),
        ("partners.txt", b"name,partner_type\nAcme,reseller\n", "Upload a .csv or .xlsx file"),
    ],
)
def test_a_disguised_or_foreign_file_is_refused_at_upload(
    acme, django_capture_on_commit_callbacks, name, data, message
):
    response = upload(acme, acme.admin, name, data, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert message in response.content.decode()
    with tenant_context(acme.tenant):
        assert not PartnerImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused(acme, django_capture_on_commit_callbacks, settings):
    big = b"name,partner_type\n" + b"x" * (import_services.MAX_UPLOAD_BYTES)
    response = upload(acme, acme.admin, "big.csv", big, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "larger than 10 MB" in response.content.decode()


# --- Who may import -------------------------------------------------------------------------------


def test_template_download_has_the_columns_and_an_example(acme):
    response = acme.client(acme.admin).get(
        reverse("console_partner_import_template") + "?format=csv"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == list(COLUMNS) and len(rows) == 2
    xlsx = acme.client(acme.admin).get(reverse("console_partner_import_template") + "?format=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    manager = acme.client(acme.manager).get(reverse("console_partner_import_template"))
    assert manager.status_code == 403


def test_program_admin_opens_the_import_page(acme):
    response = acme.client(acme.admin).get(reverse(IMPORT_URL))
    assert response.status_code == 200
    assert 'enctype="multipart/form-data"' in response.content.decode()


@pytest.mark.parametrize("role", ["manager", "executive", "marketing", "partner_admin"])
def test_other_roles_get_403_on_import(acme, role, django_capture_on_commit_callbacks):
    user = getattr(acme, role)
    client = acme.client(user)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    data = csv_bytes([partner_row(1)])
    assert upload(acme, user, "p.csv", data, django_capture_on_commit_callbacks).status_code == 403
    with tenant_context(acme.tenant):
        partner_import = PartnerImport.objects.create(
            tenant=acme.tenant, original_name="x.csv", status=ImportStatus.READY
        )
    assert client.get(detail_url(partner_import)).status_code == 403
    assert client.post(detail_url(partner_import)).status_code == 403
    with tenant_context(acme.tenant):
        assert PartnerImport.objects.get(pk=partner_import.pk).status == ImportStatus.READY


def test_other_tenants_import_is_404(acme, globex, django_capture_on_commit_callbacks):
    upload(
        globex,
        globex.admin,
        "p.csv",
        csv_bytes([partner_row(1)]),
        django_capture_on_commit_callbacks,
    )
    theirs = last_import(globex)
    client = acme.client(acme.admin)
    assert client.get(detail_url(theirs)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(detail_url(theirs)).status_code == 404
    assert last_import(globex).status == ImportStatus.READY
    assert partner_count(globex) == 2


def test_recent_imports_list_costs_the_same_queries_for_more_imports(acme):
    def create(n):
        with tenant_context(acme.tenant):
            for i in range(n):
                PartnerImport.objects.create(
                    tenant=acme.tenant, original_name=f"{i}.csv", created_by=acme.admin
                )

    client = acme.client(acme.admin)
    create(1)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse(IMPORT_URL)).status_code == 200
    create(8)
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse(IMPORT_URL)).status_code == 200
    assert len(many) == len(few)
