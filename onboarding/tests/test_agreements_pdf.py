"""The signed agreement's PDF is a record: rendered once (at signing, or on the first download
for signatures from before), stored with its SHA-256 and served as stored, whatever the templates
say later."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from onboarding.models import AgreementSignature
from onboarding.services import agreements as services
from onboarding.tests.factories import AgreementSignatureFactory
from tenancy.context import tenant_context
from tenancy.tests.files import stored_files
from tenancy.tests.templates_override import override_template

from .test_agreements_services import approve, publish, record_offline, sign

pytestmark = pytest.mark.django_db

TEMPLATE = "onboarding/agreements/signature_pdf.html"


def _download(client, url) -> tuple[bytes, str]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content), response["X-Content-SHA256"]


def _urls(signature):
    kwargs = {"signature_uuid": signature.uuid}
    return reverse("portal_signature_pdf", kwargs=kwargs), reverse(
        "console_signature_pdf", kwargs=kwargs
    )


def test_pdf_is_rendered_at_signing_and_stored_with_its_hash(acme, settings):
    approve(acme.partner)
    signature = sign(acme, publish(acme))
    assert signature.pdf_file.name == f"agreements/{acme.tenant.pk}/{signature.uuid}-signed.pdf"
    stored = (settings.MEDIA_ROOT / signature.pdf_file.name).read_bytes()
    assert stored.startswith(b"%PDF")
    assert signature.pdf_sha256 == hashlib.sha256(stored).hexdigest()
    with tenant_context(acme.tenant):
        row = AgreementSignature.objects.get(pk=signature.pk)
    assert (row.pdf_file.name, row.pdf_sha256) == (signature.pdf_file.name, signature.pdf_sha256)


def test_offline_signature_also_gets_its_pdf_beside_the_contract(acme, settings):
    approve(acme.partner)
    signature = record_offline(acme, publish(acme))
    assert sorted(stored_files(settings.MEDIA_ROOT)) == sorted(
        [signature.contract_file.name, signature.pdf_file.name]
    )
    assert signature.pdf_sha256 and signature.pdf_sha256 != signature.contract_sha256


def test_download_after_a_template_edit_is_the_same_document(acme, settings, tmp_path):
    approve(acme.partner)
    signature = sign(acme, publish(acme))
    portal, console = _urls(signature)
    before, before_hash = _download(acme.client(acme.partner_admin), portal)

    override_template(settings, tmp_path, TEMPLATE, marker="EDITED AFTER SIGNING")
    with tenant_context(acme.tenant):
        # The edit is live: a fresh rendering would differ.
        assert "EDITED AFTER SIGNING" in services.signature_html(signature)

    after, after_hash = _download(acme.client(acme.partner_admin), portal)
    from_console, _ = _download(acme.client(acme.admin), console)
    assert after == before == from_console
    assert after_hash == before_hash == signature.pdf_sha256
    assert hashlib.sha256(after).hexdigest() == signature.pdf_sha256


def test_signature_from_before_stored_pdfs_is_rendered_once_on_first_download(
    acme, settings, tmp_path
):
    with tenant_context(acme.tenant):
        signature = AgreementSignatureFactory(partner=acme.partner)
    assert not signature.pdf_file and not signature.pdf_sha256
    portal, _console = _urls(signature)
    first, first_hash = _download(acme.client(acme.partner_admin), portal)
    with tenant_context(acme.tenant):
        signature.refresh_from_db()
    assert signature.pdf_sha256 == first_hash == hashlib.sha256(first).hexdigest()
    assert stored_files(settings.MEDIA_ROOT) == [signature.pdf_file.name]

    override_template(settings, tmp_path, TEMPLATE, marker="EDITED LATER")
    again, again_hash = _download(acme.client(acme.partner_admin), portal)
    assert (again, again_hash) == (first, first_hash)
    assert stored_files(settings.MEDIA_ROOT) == [signature.pdf_file.name]


def test_a_failed_rendering_does_not_undo_the_signature(acme, monkeypatch):
    approve(acme.partner)
    template = publish(acme)

    def broken(signature):
        raise OSError("renderer unavailable")

    monkeypatch.setattr(services, "signature_pdf", broken)
    signature = sign(acme, template)
    with tenant_context(acme.tenant):
        assert AgreementSignature.objects.filter(pk=signature.pk, pdf_sha256="").exists()
    monkeypatch.undo()
    portal, _console = _urls(signature)
    content, sha = _download(acme.client(acme.partner_admin), portal)
    assert content.startswith(b"%PDF") and sha == hashlib.sha256(content).hexdigest()
