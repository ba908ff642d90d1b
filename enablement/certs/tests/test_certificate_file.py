"""A certificate is a record: rendered once per award (and per renewal, which changes its
dates), stored with its SHA-256 and served as stored, whatever the template says later."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from enablement.certs import services
from enablement.certs.models import CertificationAward
from tenancy.context import tenant_context
from tenancy.tests.files import stored_files
from tenancy.tests.templates_override import override_template

from .factories import make_ladder, pass_quiz

pytestmark = [pytest.mark.django_db]

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
TEMPLATE = "enablement/certs/certificate.html"


def _award(world) -> CertificationAward:
    with tenant_context(world.tenant):
        return CertificationAward.objects.get(user=world.partner_sales)


def _download(world, award) -> tuple[bytes, str]:
    url = reverse("certification_certificate", kwargs={"award_uuid": award.uuid})
    response = world.client(world.partner_sales).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return b"".join(response.streaming_content), response["X-Content-SHA256"]


def test_certificate_is_rendered_when_awarded_and_stored_with_its_hash(acme, settings):
    ladder = make_ladder(acme)
    pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    award = _award(acme)
    assert award.certificate_file.name.startswith(f"certificates/{acme.tenant.pk}/{award.uuid}-")
    stored = (settings.MEDIA_ROOT / award.certificate_file.name).read_bytes()
    assert stored.startswith(b"%PDF-")
    assert award.certificate_sha256 == hashlib.sha256(stored).hexdigest()


def test_download_after_a_template_edit_is_the_same_certificate(acme, settings, tmp_path):
    ladder = make_ladder(acme)
    pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    award = _award(acme)
    before, before_hash = _download(acme, award)

    override_template(settings, tmp_path, TEMPLATE, marker="NEW DESIGN")
    with tenant_context(acme.tenant):
        assert "NEW DESIGN" in services.certificate_html(award)  # the edit is live

    after, after_hash = _download(acme, award)
    assert after == before
    assert after_hash == before_hash == award.certificate_sha256
    assert hashlib.sha256(after).hexdigest() == award.certificate_sha256


def test_award_from_before_stored_certificates_is_rendered_once_on_first_download(
    acme, settings, tmp_path
):
    ladder = make_ladder(acme)
    pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    award = _award(acme)
    with tenant_context(acme.tenant):  # as a row written before this feature
        CertificationAward.objects.filter(pk=award.pk).update(
            certificate_file="", certificate_sha256=""
        )
    (settings.MEDIA_ROOT / award.certificate_file.name).unlink()
    first, first_hash = _download(acme, award)
    override_template(settings, tmp_path, TEMPLATE, marker="NEW DESIGN")
    again, again_hash = _download(acme, award)
    assert (again, again_hash) == (first, first_hash)
    award = _award(acme)
    assert award.certificate_sha256 == first_hash
    assert stored_files(settings.MEDIA_ROOT) == [award.certificate_file.name]


def test_renewal_issues_a_new_certificate_and_removes_the_old_file(
    acme, settings, django_capture_on_commit_callbacks
):
    ladder = make_ladder(acme)
    with time_machine.travel(NOW, tick=False):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    first = _award(acme)
    with (
        time_machine.travel(first.expires_at - timedelta(days=3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        pass_quiz(acme, acme.partner_sales, ladder["recert"])
    renewed = _award(acme)
    assert renewed.renewed_count == 1
    assert renewed.certificate_sha256 and renewed.certificate_sha256 != first.certificate_sha256
    assert stored_files(settings.MEDIA_ROOT) == [renewed.certificate_file.name]
    content, sha = _download(acme, renewed)
    assert sha == renewed.certificate_sha256 == hashlib.sha256(content).hexdigest()
