"""API for partner imports: upload (multipart), poll status/errors/preview, start; who may."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partners.models import ImportStatus, PartnerImport, PartnerOrganization
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

URL = "/api/v1/partner-imports/"
GOOD = b"name,website,partner_type\nApi One,api-one.example,reseller\nApi Two,,referral\n"
BAD = b"name,website,partner_type\nApi One,htp:/x,reseller\n"


def post_file(api, data, capture, name="p.csv"):
    with capture(execute=True):
        return api.post(URL, {"file": SimpleUploadedFile(name, data)}, format="multipart")


def test_admin_uploads_checks_and_imports_through_the_api(acme, django_capture_on_commit_callbacks):
    api = acme.api(acme.admin)
    response = post_file(api, GOOD, django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()
    detail = f"{URL}{response.json()['id']}/"
    body = api.get(detail).json()
    assert body["status"] == ImportStatus.READY
    assert (body["preview"]["new"], body["total_rows"], body["progress_pct"]) == (2, 2, 100)
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"{detail}start/")
    assert started.status_code == 202
    body = api.get(detail).json()
    assert (body["status"], body["created_count"]) == (ImportStatus.DONE, 2)
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.filter(name__startswith="Api ").count() == 2
    assert [i["id"] for i in api.get(URL).json()["results"]] == [body["id"]]


def test_errors_come_back_per_row_and_the_file_cannot_be_started(
    acme, django_capture_on_commit_callbacks
):
    api = acme.api(acme.admin)
    detail = f"{URL}{post_file(api, BAD, django_capture_on_commit_callbacks).json()['id']}/"
    body = api.get(detail).json()
    assert body["status"] == ImportStatus.INVALID
    assert body["errors"] == [
        {"row": 2, "field": "website", "message": "'htp:/x' is not a valid web address."}
    ]
    refused = api.post(f"{detail}start/")
    assert refused.status_code == 400 and "not ready to import" in str(refused.json())


def test_a_disguised_file_is_a_400(acme, django_capture_on_commit_callbacks):
    response = post_file(
        acme.api(acme.admin), b"PK\x03\x04garbage", django_capture_on_commit_callbacks, "x.xlsx"
    )
    assert response.status_code == 400
    assert "file" in response.json()
    with tenant_context(acme.tenant):
        assert not PartnerImport.objects.exists()


@pytest.mark.parametrize("role", ["manager", "executive", "partner_admin"])
def test_other_roles_get_403(acme, role, django_capture_on_commit_callbacks):
    api = acme.api(getattr(acme, role))
    assert post_file(api, GOOD, django_capture_on_commit_callbacks).status_code == 403
    assert api.get(URL).status_code == 403


def test_other_tenants_import_is_404(acme, globex, django_capture_on_commit_callbacks):
    theirs = post_file(globex.api(globex.admin), GOOD, django_capture_on_commit_callbacks).json()
    api = acme.api(acme.admin)
    assert api.get(f"{URL}{theirs['id']}/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"{URL}{theirs['id']}/start/").status_code == 404
    assert api.get(URL).json()["results"] == []
    with tenant_context(globex.tenant):
        assert PartnerImport.objects.get().status == ImportStatus.READY
