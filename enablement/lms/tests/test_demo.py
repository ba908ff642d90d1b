"""The LMS demo seeds courses, paths and learners at every stage, and is idempotent."""

from __future__ import annotations

from django.urls import reverse

from enablement.lms import demo
from enablement.lms.models import Course, Enrollment, LearningPath, QuizAttempt
from tenancy.context import tenant_context
from tenancy.roles import PARTNER_ROLES


def test_demo_seeds_every_stage_and_is_idempotent(acme):
    with tenant_context(acme.tenant):
        demo.seed(acme.tenant, staff={"admin": acme.admin})
        counts = (Course.objects.count(), Enrollment.objects.count(), QuizAttempt.objects.count())
        demo.seed(acme.tenant, staff={"admin": acme.admin})
        assert (
            Course.objects.count(),
            Enrollment.objects.count(),
            QuizAttempt.objects.count(),
        ) == counts
        foundation = Course.objects.get(title="Partner 101")
        assert foundation.is_foundation and foundation.status == "published"
        assert 3 <= foundation.modules.exclude(kind="quiz").count() <= 4
        assert foundation.modules.filter(kind="quiz").count() == 1
        assert set(LearningPath.objects.values_list("role", flat=True)) == set(PARTNER_ROLES)
        enrollments = Enrollment.objects.all()
        assert enrollments.filter(completed_at__isnull=False).exists()
        assert enrollments.filter(completed_at__isnull=True, progress__isnull=False).exists()
        assert enrollments.filter(progress__isnull=True).exists()
        assert QuizAttempt.objects.filter(passed=True).exists()
        assert QuizAttempt.objects.filter(passed=False).exists()


def test_demo_pages_render_for_every_module_kind(acme):
    with tenant_context(acme.tenant):
        demo.seed(acme.tenant, staff={"admin": acme.admin})
        course = Course.objects.get(title="Partner 101")
        modules = list(course.modules.all())
    client = acme.client(acme.partner_sales)
    assert {m.kind for m in modules} == {"text", "video", "file", "quiz"}
    for module in modules:
        response = client.get(reverse("portal_module", args=[course.uuid, module.uuid]))
        assert response.status_code == 200, module.kind
        if module.kind == "file":
            # The "Download" button answers with the file, not a 404.
            download = reverse("portal_module_file", args=[course.uuid, module.uuid])
            assert download in response.content.decode()
            file = client.get(download)
            assert file.status_code == 200 and file["Content-Type"] == "application/pdf"
            assert b"".join(file.streaming_content).startswith(b"%PDF")
    learning = client.get(reverse("portal_learning")).content.decode()
    assert "Sales path" in learning and "Partner 101" in learning
    console = acme.client(acme.admin).get(reverse("console_learning")).content.decode()
    assert "Technical foundations" in console and "Pre-sales path" in console
