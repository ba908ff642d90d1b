"""Enablement's main journey in a real browser: a partner sales user follows their learning path,
passes the exam quiz, earns the certification and downloads the PDF certificate."""

from __future__ import annotations

import re

import pytest

from enablement.certs import services as cert_services
from enablement.certs.models import CertificationAward, CertificationTrack
from enablement.lms.models import (
    Choice,
    Course,
    CourseModule,
    LearningPath,
    LearningPathStep,
    Question,
    Quiz,
)
from tenancy.access import SYSTEM
from tenancy.context import tenant_context
from tenancy.tests.factories import PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def exam_on_the_sales_path(world):
    """A published course whose only module is the exam quiz, on the partner-sales path, and a
    certification earned by passing it."""
    with tenant_context(world.tenant):
        course = Course.objects.create(
            title="Cloud Sales Essentials", status="published", audiences=["all"]
        )
        module = CourseModule.objects.create(
            course=course, title="Cloud Sales Professional exam", kind="quiz", position=1
        )
        quiz = Quiz.objects.create(module=module, pass_mark_pct=100, randomize=False)
        question = Question.objects.create(quiz=quiz, text="Who registers a deal first?")
        Choice.objects.create(question=question, text="The partner", is_correct=True)
        Choice.objects.create(question=question, text="Nobody", is_correct=False)
        path = LearningPath.objects.create(name="Partner sales path", role="partner_sales")
        LearningPathStep.objects.create(path=path, course=course, position=1)
        track = CertificationTrack.objects.create(name="Cloud Sales")
        cert_services.certification_save(
            actor=SYSTEM,
            track=track,
            name="Certified Cloud Sales Professional",
            exams=[quiz],
        )


def test_partner_sales_user_passes_the_exam_and_downloads_the_certificate(
    live_server, page, acme, settings, tmp_path
):
    settings.PRM_URL_PORT = live_server.url.rsplit(":", 1)[1]
    acme.partner_sales.full_name = "Sam Seller"
    acme.partner_sales.save()
    exam_on_the_sales_path(acme)

    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.partner_sales.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))

    # My learning: the path shows the exam as what to do next.
    page.goto(url(live_server, acme, "/portal/learning/"))
    assert "Partner sales path" in page.content()
    page.get_by_role("link", name="Continue").click()
    page.get_by_role("button", name="Start attempt").click()
    page.wait_for_url(re.compile(r"/portal/learning/attempts/"))
    page.get_by_label("The partner").check()
    page.get_by_role("button", name="Submit answers").click()
    assert "Passed" in page.locator("#attempt-result").inner_text()

    # The certification was awarded by the quiz-passed hook.
    with tenant_context(acme.tenant):
        award = CertificationAward.objects.get(user=acme.partner_sales)
    page.goto(url(live_server, acme, "/portal/certifications/"))
    table = page.locator("#my-certifications").inner_text()
    assert "Certified Cloud Sales Professional" in table and "Valid" in table

    with page.expect_download() as info:
        page.get_by_role("link", name="Download certificate (PDF)").click()
    target = tmp_path / "certificate.pdf"
    info.value.save_as(target)
    assert target.read_bytes().startswith(b"%PDF-")

    # The verification page anyone can open says valid.
    anonymous = page.context.browser.new_context().new_page()
    anonymous.goto(url(live_server, acme, f"/verify/{award.verification_code}/"))
    assert "Sam Seller" in anonymous.content()
    assert anonymous.locator("#status").inner_text() == "Valid"
    anonymous.context.close()
