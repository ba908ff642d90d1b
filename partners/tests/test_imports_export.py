"""Partner export (the directory's CSV/XLSX): the import's columns, so exporting and importing back
changes nothing; scoped to what the actor sees, with the directory's filters; streamed."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import ImportStatus, PartnerImport, PartnerOrganization
from partners.selectors.imports import COLUMNS
from partners.tests.factories import PartnerContactFactory, PartnerOrganizationFactory
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

EXPORT_URL = reverse("console_partner_export")


def export(world, user, query="format=csv"):
    return world.client(user).get(f"{EXPORT_URL}?{query}")


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_rows(response) -> list[dict]:
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=True)) for row in values[1:]]


def run_import(world, name, data, capture) -> PartnerImport:
    client = world.client(world.admin)
    with capture(execute=True):
        response = client.post(
            reverse("console_partner_import"), {"file": SimpleUploadedFile(name, data)}
        )
    assert response.status_code == 302, response.content
    with tenant_context(world.tenant):
        partner_import = PartnerImport.objects.latest("created_at")
    if (
        partner_import.status == ImportStatus.READY
        and partner_import.preview["unchanged"] < (partner_import.preview["partners"])
    ):
        with capture(execute=True):
            client.post(
                reverse(
                    "console_partner_import_detail", kwargs={"import_uuid": partner_import.uuid}
                )
            )
        partner_import.refresh_from_db()
    return partner_import


def snapshot(world) -> dict:
    """Every imported/exported value of every partner and contact."""
    with tenant_context(world.tenant):
        return {
            p.name: (
                p.legal_name,
                p.website,
                p.domain,
                p.hq_country.code,
                p.regions,
                p.industries,
                p.employee_band,
                p.revenue_band,
                p.partner_type,
                p.partner_types,
                p.skills,
                p.sales_motion,
                p.co_marketing,
                p.state,
                p.channel_manager_id,
                sorted((c.name, c.email, c.title, c.role) for c in p.contacts.all()),
            )
            for p in PartnerOrganization.objects.prefetch_related("contacts")
        }


RICH_FILE = (
    ",".join(COLUMNS) + "\n"
    '"Alpha Systems","Alpha Systems AG",alpha.example,Germany,"EMEA; APAC",'
    '"Banking, financial services;",120,$10M–$50M,ISV,"isv; reseller","Kubernetes, AWS",'
    "solution,yes,active,{manager},Ann Lee,ann@alpha.example,CTO,technical\n"
    '"Alpha Systems",,,,,,,,,,,,,,,Bob Roe,bob@alpha.example,,sales\n'
    '"=SUM(A1) Partners",,https://sum.example,US,NA,,,,referral,,,,no,suspended,,,,,\n'
    '"@Risk Consulting",,,FR,,"Retail; Energy",11-50,Under $1M,msp,,,,,prospect,,,,,\n'
)


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_then_import_changes_nothing(acme, django_capture_on_commit_callbacks, file_format):
    with tenant_context(acme.tenant):
        # Partners made by the profile form always list their primary type among their types.
        PartnerOrganization.objects.update(partner_types=["reseller"])
        PartnerContactFactory(tenant=acme.tenant, partner=acme.partner, title="")
    data = RICH_FILE.replace("{manager}", acme.manager.email).encode()
    first = run_import(acme, "rich.csv", data, django_capture_on_commit_callbacks)
    assert first.status == ImportStatus.DONE, first.errors
    assert first.created_count == 3
    before = snapshot(acme)
    assert before["Alpha Systems"][5] == ["Banking, financial services"]
    assert before["=SUM(A1) Partners"][13] == "suspended"

    response = export(acme, acme.admin, f"format={file_format}")
    assert response["Content-Disposition"].endswith(f'.{file_format}"')
    content = b"".join(response.streaming_content) if file_format == "csv" else response.content
    again = run_import(acme, f"export.{file_format}", content, django_capture_on_commit_callbacks)
    assert again.status == ImportStatus.READY, again.errors
    assert (again.preview["new"], again.preview["updated"]) == (0, 0)
    assert again.preview["unchanged"] == again.preview["partners"] == 5
    assert snapshot(acme) == before


def test_export_has_the_import_columns_one_row_per_contact_and_defuses_formulas(
    acme, django_capture_on_commit_callbacks
):
    data = RICH_FILE.replace("{manager}", acme.manager.email).encode()
    run_import(acme, "rich.csv", data, django_capture_on_commit_callbacks)
    rows = csv_rows(export(acme, acme.admin))
    assert list(rows[0]) == list(COLUMNS)
    alpha = [r for r in rows if r["name"] == "Alpha Systems"]
    assert [r["contact_email"] for r in alpha] == ["ann@alpha.example", "bob@alpha.example"]
    assert alpha[0]["hq_country"] == "DE" and alpha[0]["employee_band"] == "51–200"
    assert alpha[0]["channel_manager_email"] == acme.manager.email
    names = {r["name"] for r in rows}
    # A spreadsheet would run these as formulas: the export writes them as text.
    assert "'=SUM(A1) Partners" in names and "'@Risk Consulting" in names


def test_channel_manager_exports_only_their_partners(acme, globex):
    PartnerOrganizationFactory(tenant=acme.tenant, name="Managed Two", channel_manager=acme.manager)
    manager_rows = csv_rows(export(acme, acme.manager))
    assert {r["name"] for r in manager_rows} == {acme.partner.name, "Managed Two"}
    admin_rows = xlsx_rows(export(acme, acme.admin, "format=xlsx"))
    assert {r["name"] for r in admin_rows} == {
        acme.partner.name,
        acme.other_partner.name,
        "Managed Two",
    }
    assert not {r["name"] for r in admin_rows} & {globex.partner.name, globex.other_partner.name}


def test_export_applies_the_directory_filters(acme):
    PartnerOrganizationFactory(tenant=acme.tenant, name="Active One", active=True)
    rows = csv_rows(export(acme, acme.admin, "format=csv&state=active"))
    assert {r["name"] for r in rows} == {"Active One"}
    rows = csv_rows(export(acme, acme.admin, "format=csv&q=partner+one"))
    assert {r["name"] for r in rows} == {acme.partner.name}


@pytest.mark.parametrize("role", ["sales", "partner_admin", "partner_sales"])
def test_roles_without_the_directory_get_403_on_export(acme, role):
    assert export(acme, getattr(acme, role)).status_code == 403


def test_unknown_format_is_refused(acme):
    assert export(acme, acme.admin, "format=pdf").status_code == 400


def test_export_queries_do_not_grow_with_partners(acme):
    client = acme.client(acme.admin)

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            csv_rows(client.get(f"{EXPORT_URL}?format=csv"))
        return len(queries)

    few = count_queries()
    for _n in range(30):
        partner = PartnerOrganizationFactory(tenant=acme.tenant, channel_manager=acme.manager)
        PartnerContactFactory(tenant=acme.tenant, partner=partner)
    assert count_queries() == few
