"""Certification test data: an exam (course + quiz module + quiz), tracks, certifications and
passed attempts, created inside the world's tenant."""

from __future__ import annotations

import factory

from enablement.certs import services
from enablement.certs.models import Certification, CertificationTrack
from enablement.lms.models import Course, CourseModule, ModuleKind, Quiz, QuizAttempt
from tenancy.access import SYSTEM
from tenancy.context import tenant_context


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Exam course {n}")
    status = "published"


class QuizModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseModule

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Exam {n}")
    kind = ModuleKind.QUIZ


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    module = factory.SubFactory(QuizModuleFactory)
    pass_mark_pct = 80


class TrackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CertificationTrack

    name = factory.Sequence(lambda n: f"Track {n}")


def make_ladder(world, *, validity_months=12, offsets=(60, 30, 7)):
    """A track with Professional (exam A) and Expert (exam B, requires Professional), plus a
    recertification exam for Professional. Returns a namespace-like dict."""
    with tenant_context(world.tenant):
        track = TrackFactory(name="Cloud Sales")
        exam_a, exam_b, recert = QuizFactory(), QuizFactory(), QuizFactory()
        pro = services.certification_save(
            actor=SYSTEM,
            track=track,
            name="Certified Cloud Sales Professional",
            level=1,
            validity_months=validity_months,
            exams=[exam_a],
            recert_exam=recert,
            reminder_offsets_days=list(offsets),
        )
        expert = services.certification_save(
            actor=SYSTEM,
            track=track,
            name="Certified Cloud Sales Expert",
            level=2,
            prerequisite=pro,
            validity_months=validity_months,
            exams=[exam_b],
            reminder_offsets_days=list(offsets),
        )
    return {
        "track": track,
        "exam_a": exam_a,
        "exam_b": exam_b,
        "recert": recert,
        "pro": pro,
        "expert": expert,
    }


def pass_quiz(world, user, quiz, *, passed=True):
    """A submitted attempt, then the certification service (as the LMS hook would call it)."""
    with tenant_context(world.tenant):
        attempt = QuizAttempt.objects.create(
            quiz=quiz, user=user, score_pct=100 if passed else 10, passed=passed
        )
        return services.award_for_passed_quiz(attempt=attempt)


def certifications(world) -> list[Certification]:
    with tenant_context(world.tenant):
        return list(Certification.objects.all())
