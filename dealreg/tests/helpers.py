"""Helpers for deal-registration (and onboarding-gate) tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from enablement.lms import services as lms
from enablement.lms.models import CourseModule
from enablement.lms.tests.factories import make_course
from partners.models import LifecycleState
from tenancy.access import actor_for_user
from tenancy.context import tenant_context


def activate(world, partner=None) -> None:
    """Put the world's partner (or `partner`) in the "active" lifecycle state."""
    partner = partner or world.partner
    with tenant_context(world.tenant):
        partner.state = LifecycleState.ACTIVE
        partner.save(update_fields=["state"])


def complete_101(world, user) -> None:
    """`user` completes a published foundation (101) course through the LMS services: its text
    module read and its quiz passed."""
    with tenant_context(world.tenant):
        course = make_course(world.tenant, title="Partner 101", modules=1, quiz=True)
        course.is_foundation = True
        course.save(update_fields=["is_foundation"])
        actor = actor_for_user(user, world.tenant)
        for module in CourseModule.objects.filter(course=course).order_by("position"):
            if module.kind == "quiz":
                quiz = module.quiz
                attempt = lms.start_attempt(actor=actor, quiz=quiz)
                answers = {
                    question.pk: [c.pk for c in question.choices.all() if c.is_correct]
                    for question in quiz.questions.all()
                }
                lms.submit_attempt(actor=actor, attempt=attempt, answers=answers)
            else:
                lms.module_complete(actor=actor, module=module)


def deal_data(**overrides) -> dict:
    data = {
        "customer_name": "Initech",
        "customer_domain": "https://www.Initech.com/about",
        "customer_country": "US",
        "region": "NA",
        "contact_name": "Bill Lumbergh",
        "contact_email": "bill@initech.com",
        "products": ["Platform", "Support"],
        "estimated_value": "125000.00",
        "currency": "USD",
        "expected_close_date": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "partner_notes": "Budget approved.",
    }
    data.update(overrides)
    return data
