"""Certification pages and API: owner / wrong-role (403) / other-tenant (404) on each, the public
verification page over time, the PDF download and flat query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enablement.certs.models import Certification, CertificationAward, CertificationTrack
from tenancy.context import tenant_context

from .factories import QuizFactory, make_ladder, pass_quiz

pytestmark = [pytest.mark.django_db]

NOW = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


def award_of(world, user, ladder):
    pass_quiz(world, user, ladder["exam_a"])
    with tenant_context(world.tenant):
        return CertificationAward.objects.select_related("certification").get(
            user=user, certification=ladder["pro"]
        )


def pdf_url(award):
    return reverse("certification_certificate", kwargs={"award_uuid": award.uuid})


# --- Portal ---------------------------------------------------------------------------------------


def test_portal_shows_my_certifications_and_available_ones(acme):
    ladder = make_ladder(acme)
    award = award_of(acme, acme.partner_sales, ladder)
    response = acme.client(acme.partner_sales).get(reverse("portal_certifications"))
    assert response.status_code == 200
    data = response.context["data"]
    assert [a.pk for a, _state in data.mine] == [award.pk]
    expert = next(i for i in data.available if i.certification.pk == ladder["expert"].pk)
    assert expert.prerequisite_met is True
    assert pdf_url(award) in response.content.decode()
    # A colleague without the award: Expert's prerequisite not met.
    other = acme.client(acme.partner_presales).get(reverse("portal_certifications"))
    expert = next(
        i for i in other.context["data"].available if i.certification.pk == ladder["expert"].pk
    )
    assert other.context["data"].mine == [] and expert.prerequisite_met is False


def test_portal_is_for_partner_users_only(acme):
    assert acme.client(acme.sales).get(reverse("portal_certifications")).status_code == 403


def test_portal_page_query_count_does_not_grow(acme):
    ladder = make_ladder(acme)
    award_of(acme, acme.partner_sales, ladder)
    client = acme.client(acme.partner_sales)
    client.get(reverse("portal_certifications"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("portal_certifications"))
    with tenant_context(acme.tenant):
        for n in range(5):
            cert = Certification.objects.create(
                track=ladder["track"], name=f"Extra {n}", level=1, prerequisite=ladder["pro"]
            )
            cert.exam_rows.create(tenant=acme.tenant, quiz=QuizFactory())
    pass_quiz(acme, acme.partner_sales, ladder["exam_b"])
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("portal_certifications"))
    assert len(large) == len(small)


# --- PDF download ---------------------------------------------------------------------------------


def test_holder_partner_admin_and_program_staff_download_the_pdf(acme):
    ladder = make_ladder(acme)
    award = award_of(acme, acme.partner_sales, ladder)
    for user in (acme.partner_sales, acme.partner_admin, acme.admin, acme.manager, acme.executive):
        response = acme.client(user).get(pdf_url(award))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_colleague_and_other_partner_get_404_for_the_pdf(acme):
    ladder = make_ladder(acme)
    award = award_of(acme, acme.partner_sales, ladder)
    for user in (acme.partner_presales, acme.other_partner_admin):
        assert acme.client(user).get(pdf_url(award)).status_code == 404


def test_direct_sales_gets_403_for_the_pdf(acme):
    ladder = make_ladder(acme)
    award = award_of(acme, acme.partner_sales, ladder)
    assert acme.client(acme.sales).get(pdf_url(award)).status_code == 403


def test_pdf_of_other_tenant_award_is_404(acme, globex):
    ladder = make_ladder(globex)
    award = award_of(globex, globex.partner_sales, ladder)
    assert acme.client(acme.admin).get(pdf_url(award)).status_code == 404
    assert acme.client(acme.partner_sales).get(pdf_url(award)).status_code == 404


def test_channel_manager_sees_only_their_partners_awards(acme):
    ladder = make_ladder(acme)
    mine = award_of(acme, acme.partner_sales, ladder)
    theirs = award_of(acme, acme.other_partner_admin, ladder)
    client = acme.client(acme.manager)
    assert client.get(pdf_url(theirs)).status_code == 404
    response = client.get(reverse("console_certifications"))
    assert [a.pk for a in response.context["awards"]] == [mine.pk]


# --- Public verification ---------------------------------------------------------------------


def test_verification_page_reports_valid_then_expired(acme):
    ladder = make_ladder(acme)
    acme.partner_sales.full_name = "Pat Partner"
    acme.partner_sales.save()
    with time_machine.travel(NOW, tick=False):
        award = award_of(acme, acme.partner_sales, ladder)
    url = reverse("certification_verify", kwargs={"code": award.verification_code})
    with time_machine.travel(NOW + timedelta(days=30), tick=False):
        response = acme.client().get(url)
    body = response.content.decode()
    assert response.status_code == 200 and response.context["status"] == "valid"
    assert "Pat Partner" in body and ladder["pro"].name in body
    assert acme.partner_sales.email not in body  # nothing else
    with time_machine.travel(award.expires_at + timedelta(minutes=1), tick=False):
        response = acme.client().get(url)
    assert response.context["status"] == "expired"
    assert "Expired" in response.content.decode()


def test_verification_unknown_code_and_other_tenant_are_404(acme, globex):
    ladder = make_ladder(globex)
    award = award_of(globex, globex.partner_sales, ladder)
    url = reverse("certification_verify", kwargs={"code": award.verification_code})
    assert globex.client().get(url).status_code == 200
    assert acme.client().get(url).status_code == 404
    assert acme.client().get(reverse("certification_verify", args=["nope"])).status_code == 404


# --- Console --------------------------------------------------------------------------------------


def test_admin_creates_track_and_certification(acme):
    client = acme.client(acme.admin)
    response = client.post(reverse("console_certifications"), {"name": "Security"})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        track = CertificationTrack.objects.get(name="Security")
        quiz = QuizFactory()
    data = {
        "track": track.pk,
        "name": "Certified Security Professional",
        "level": 1,
        "validity_months": 24,
        "exams": [quiz.pk],
        "reminder_offsets_days": "90, 14",
        "is_active": "on",
    }
    response = client.post(reverse("console_certification_new"), data)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        cert = Certification.objects.get(name="Certified Security Professional")
        assert cert.validity_months == 24 and cert.reminder_offsets_days == [90, 14]
        assert list(cert.exam_rows.values_list("quiz_id", flat=True)) == [quiz.pk]


def test_certification_form_errors_keep_input(acme):
    with tenant_context(acme.tenant):
        track = CertificationTrack.objects.create(name="Security")
    response = acme.client(acme.admin).post(
        reverse("console_certification_new"),
        {"track": track.pk, "name": "Kept name", "level": 1, "validity_months": 12},
    )
    assert response.status_code == 400
    assert "exams" in response.context["form"].errors
    assert "Kept name" in response.content.decode()


def test_console_is_read_only_for_executive_and_closed_to_direct_sales(acme):
    make_ladder(acme)
    response = acme.client(acme.executive).get(reverse("console_certifications"))
    assert response.status_code == 200 and response.context["track_form"] is None
    assert len(response.context["certifications"]) == 2
    assert (
        acme.client(acme.executive)
        .post(reverse("console_certifications"), {"name": "X"})
        .status_code
        == 403
    )
    assert acme.client(acme.sales).get(reverse("console_certifications")).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse("console_certifications")).status_code == 403


def test_editing_other_tenant_certification_is_404(acme, globex):
    ladder = make_ladder(globex)
    url = reverse("console_certification_edit", kwargs={"certification_uuid": ladder["pro"].uuid})
    assert acme.client(acme.admin).get(url).status_code == 404
    assert globex.client(globex.admin).get(url).status_code == 200


def test_console_query_count_does_not_grow(acme):
    ladder = make_ladder(acme)
    client = acme.client(acme.admin)
    award_of(acme, acme.partner_sales, ladder)
    client.get(reverse("console_certifications"))
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("console_certifications"))
    for user in (acme.partner_presales, acme.partner_admin, acme.other_partner_admin):
        award_of(acme, user, ladder)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("console_certifications"))
    assert len(large) == len(small)


def test_admin_revokes_award(acme):
    ladder = make_ladder(acme)
    award = award_of(acme, acme.partner_sales, ladder)
    url = reverse("console_certification_award_revoke", kwargs={"award_uuid": award.uuid})
    assert acme.client(acme.executive).post(url, {"reason": "x"}).status_code == 403
    assert acme.client(acme.admin).post(url, {"reason": "Exam fraud"}).status_code == 302
    with tenant_context(acme.tenant):
        award.refresh_from_db()
    assert award.revoked_at is not None


# --- API ------------------------------------------------------------------------------------------


def test_api_awards_are_scoped_to_me_my_org_or_staff_scope(acme):
    ladder = make_ladder(acme)
    mine = award_of(acme, acme.partner_sales, ladder)
    colleague = award_of(acme, acme.partner_presales, ladder)
    other_org = award_of(acme, acme.other_partner_admin, ladder)

    def ids(user):
        response = acme.api(user).get("/api/v1/certification-awards/")
        assert response.status_code == 200
        rows = response.json()
        rows = rows["results"] if isinstance(rows, dict) else rows
        return {row["id"] for row in rows}

    assert ids(acme.partner_sales) == {str(mine.uuid)}
    assert ids(acme.partner_admin) == {str(mine.uuid), str(colleague.uuid)}
    assert ids(acme.manager) == {str(mine.uuid), str(colleague.uuid)}
    assert ids(acme.admin) == {str(mine.uuid), str(colleague.uuid), str(other_org.uuid)}
    detail = acme.api(acme.partner_sales).get(f"/api/v1/certification-awards/{mine.uuid}/")
    assert detail.status_code == 200 and detail.json()["status"] == "valid"
    assert (
        acme.api(acme.partner_sales).get(f"/api/v1/certification-awards/{colleague.uuid}/")
    ).status_code == 404


def test_api_certifications_list_and_wrong_role(acme):
    ladder = make_ladder(acme)
    response = acme.api(acme.partner_sales).get("/api/v1/certifications/")
    assert response.status_code == 200
    rows = response.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert {row["name"] for row in rows} == {ladder["pro"].name, ladder["expert"].name}
    expert = next(row for row in rows if row["name"] == ladder["expert"].name)
    assert expert["prerequisite"] == str(ladder["pro"].uuid)
    assert acme.api(acme.sales).get("/api/v1/certifications/").status_code == 403
    assert acme.api(acme.sales).get("/api/v1/certification-awards/").status_code == 403


def test_api_other_tenant_objects_are_404(acme, globex):
    ladder = make_ladder(globex)
    award = award_of(globex, globex.partner_sales, ladder)
    client = acme.api(acme.admin)
    assert client.get(f"/api/v1/certification-awards/{award.uuid}/").status_code == 404
    assert client.get(f"/api/v1/certifications/{ladder['pro'].uuid}/").status_code == 404


def test_revoking_other_tenant_award_is_404(acme, globex):
    ladder = make_ladder(globex)
    award = award_of(globex, globex.partner_sales, ladder)
    url = reverse("console_certification_award_revoke", kwargs={"award_uuid": award.uuid})
    assert acme.client(acme.admin).post(url, {"reason": "x"}).status_code == 404
    with tenant_context(globex.tenant):
        award.refresh_from_db()
    assert award.revoked_at is None


def test_api_key_of_other_tenant_gets_404(acme, globex):
    from rest_framework.test import APIClient

    from tenancy import services as tenancy_services
    from tenancy.access import actor_for_user

    ladder = make_ladder(globex)
    award = award_of(globex, globex.partner_sales, ladder)
    with tenant_context(acme.tenant):
        _, plaintext = tenancy_services.api_key_create(
            actor=actor_for_user(acme.admin, acme.tenant), name="walker", role="program_admin"
        )
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert client.get(f"/api/v1/certification-awards/{award.uuid}/").status_code == 404
    assert client.get(f"/api/v1/certifications/{ladder['pro'].uuid}/").status_code == 404
    assert client.get("/api/v1/certification-awards/").status_code == 200


def test_partner_admin_sees_their_organisations_awards_only(acme):
    ladder = make_ladder(acme)
    colleague = award_of(acme, acme.partner_sales, ladder)
    award_of(acme, acme.other_partner_admin, ladder)
    response = acme.client(acme.partner_admin).get(reverse("portal_certifications"))
    assert [a.pk for a in response.context["org_awards"]] == [colleague.pk]
    sales = acme.client(acme.partner_sales).get(reverse("portal_certifications"))
    assert "org_awards" not in sales.context


def test_pdf_file_text_has_holder_name_certification_and_code(acme):
    import io

    from pypdf import PdfReader

    ladder = make_ladder(acme)
    acme.partner_sales.full_name = "Robin Quayle"
    acme.partner_sales.save()
    award = award_of(acme, acme.partner_sales, ladder)
    response = acme.client(acme.partner_sales).get(pdf_url(award))
    text = " ".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages
    )
    text = " ".join(text.split())  # PDF text comes with arbitrary line breaks
    assert "Robin Quayle" in text
    assert award.verification_code in text
    assert "Certified Cloud Sales Professional" in text


# --- Exams from the portal: linked, and a pass says what it earned ----------------------------


def test_certifications_page_links_each_exam_and_a_pass_names_the_certification(
    acme, django_capture_on_commit_callbacks
):
    from enablement.lms.models import Choice, Question

    ladder = make_ladder(acme)
    exam = ladder["exam_a"]
    with tenant_context(acme.tenant):
        question = Question.objects.create(quiz=exam, text="Who registers first?")
        right = Choice.objects.create(question=question, text="The partner", is_correct=True)
        Choice.objects.create(question=question, text="Nobody", is_correct=False)
        course, module = exam.module.course, exam.module
    client = acme.client(acme.partner_sales)
    page = client.get(reverse("portal_certifications")).content.decode()
    exam_url = reverse("portal_module", args=[course.uuid, module.uuid])
    assert f'href="{exam_url}"' in page
    attempt_url = client.post(reverse("portal_quiz_start", args=[course.uuid, module.uuid])).url
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(attempt_url, {f"q{question.pk}": right.pk})
    assert response.status_code == 302
    result = client.get(attempt_url).content.decode()
    assert "You earned the certification “Certified Cloud Sales Professional”" in result
    # Expert's exam is not passed: a pass of exam A says nothing about it.
    assert "Expert" not in result
