"""Console → Learning figures against hand-counted data: enrolled and completed are people, never
people × modules."""

from __future__ import annotations

from django.utils import timezone

from enablement.lms import selectors
from enablement.lms.models import Enrollment
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .factories import make_course


def test_completed_counts_completed_enrolments_not_enrolments_times_modules(acme):
    with tenant_context(acme.tenant):
        # 3 text modules + 1 quiz = 4 modules; 3 people enrolled, 2 of them completed.
        course = make_course(acme.tenant, title="Partner 101", modules=3)
        other = make_course(acme.tenant, title="Untouched", modules=1)
        now = timezone.now()
        for user, done in [
            (acme.partner_sales, True),
            (acme.partner_presales, True),
            (acme.partner_marketing, False),
        ]:
            Enrollment.objects.create(
                tenant=acme.tenant, course=course, user=user, completed_at=now if done else None
            )
        rows = {
            c.title: c for c in selectors.console_courses(actor_for_user(acme.admin, acme.tenant))
        }
    assert rows["Partner 101"].module_count == 4
    assert rows["Partner 101"].enrolled == 3
    assert rows["Partner 101"].completed == 2
    assert (rows["Untouched"].enrolled, rows["Untouched"].completed) == (0, 0)
    assert other.pk == rows["Untouched"].pk
