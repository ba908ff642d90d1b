"""Partner import uploads go through the one upload check and are stored under the tenant: a
renamed executable is refused on the page and in the API, and nothing is saved."""

from __future__ import annotations

import html

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.models import PartnerImport
from tenancy.context import tenant_context
from tenancy.tests.files import renamed_exe, stored_files

pytestmark = pytest.mark.django_db

API_URL = "/api/v1/partner-imports/"
GOOD = b"name,website,partner_type\nUpload One,upload-one.example,reseller\n"
MESSAGES = {
    "partners.csv": "This is not a CSV text file.",
    "partners.xlsx": "This is not a readable Excel workbook (.xlsx).",
}


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_renamed_executable_is_a_field_error_on_the_page(
    acme, settings, name, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.admin).post(
            reverse("console_partner_import"),
            {"file": renamed_exe(name, content_type="text/csv")},
        )
    assert response.status_code == 400
    assert MESSAGES[name] in html.unescape(response.content.decode())
    with tenant_context(acme.tenant):
        assert not PartnerImport.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


@pytest.mark.parametrize("name", sorted(MESSAGES))
def test_renamed_executable_is_a_400_in_the_api(
    acme, settings, name, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(acme.admin).post(
            API_URL, {"file": renamed_exe(name)}, format="multipart"
        )
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert MESSAGES[name] in str(response.json()["file"])
    with tenant_context(acme.tenant):
        assert not PartnerImport.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_accepted_file_is_stored_under_the_tenant(
    acme, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.api(acme.admin).post(
            API_URL, {"file": SimpleUploadedFile("My partners.csv", GOOD)}, format="multipart"
        )
    assert response.status_code == 201, response.json()
    with tenant_context(acme.tenant):
        partner_import = PartnerImport.objects.get()
    expected = f"imports/{acme.tenant.pk}/{partner_import.uuid}.csv"
    assert partner_import.file.name == expected
    assert partner_import.original_name == "My partners.csv"
    assert stored_files(settings.MEDIA_ROOT) == [expected]
