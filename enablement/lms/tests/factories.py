"""Course builders for LMS tests (and the certification area's tests)."""

from __future__ import annotations

from django.utils import timezone

from enablement.lms.models import (
    Choice,
    Course,
    CourseModule,
    CourseStatus,
    LearningPath,
    LearningPathStep,
    ModuleKind,
    Question,
    QuestionKind,
    Quiz,
)


def make_course(
    tenant,
    *,
    title="Partner 101",
    audiences=None,
    partner_types=None,
    status=CourseStatus.PUBLISHED,
    modules=2,
    quiz=True,
    pass_mark=50,
    attempts=3,
    randomize=True,
):
    """A course with `modules` text modules and (optionally) a quiz of two questions:
    q1 single (A correct), q2 multiple (B1 and B2 correct)."""
    course = Course.objects.create(
        tenant=tenant,
        title=title,
        summary=f"About {title}",
        audiences=audiences or [],
        partner_types=partner_types or [],
        status=status,
        published_at=timezone.now() if status == CourseStatus.PUBLISHED else None,
    )
    for i in range(modules):
        CourseModule.objects.create(
            tenant=tenant,
            course=course,
            position=i + 1,
            title=f"{title} module {i + 1}",
            kind=ModuleKind.TEXT,
            body="Read me",
            minutes=15,
        )
    if quiz:
        module = CourseModule.objects.create(
            tenant=tenant,
            course=course,
            position=modules + 1,
            title=f"{title} quiz",
            kind=ModuleKind.QUIZ,
            minutes=10,
        )
        q = Quiz.objects.create(
            tenant=tenant,
            module=module,
            pass_mark_pct=pass_mark,
            attempts_allowed=attempts,
            randomize=randomize,
        )
        q1 = Question.objects.create(
            tenant=tenant, quiz=q, position=1, text="Single?", kind=QuestionKind.SINGLE
        )
        for i, (text, ok) in enumerate([("A", True), ("Wrong A", False)]):
            Choice.objects.create(tenant=tenant, question=q1, text=text, is_correct=ok, position=i)
        q2 = Question.objects.create(
            tenant=tenant, quiz=q, position=2, text="Multiple?", kind=QuestionKind.MULTIPLE
        )
        for i, (text, ok) in enumerate([("B1", True), ("B2", True), ("Wrong B", False)]):
            Choice.objects.create(tenant=tenant, question=q2, text=text, is_correct=ok, position=i)
    return course


def quiz_of(course) -> Quiz:
    return Quiz.objects.get(module__course=course)


def answers_for(quiz, *, first_right=True, second_right=True) -> dict[int, list[int]]:
    q1, q2 = list(quiz.questions.order_by("position"))
    c1 = {c.text: c.pk for c in q1.choices.all()}
    c2 = {c.text: c.pk for c in q2.choices.all()}
    return {
        q1.pk: [c1["A"] if first_right else c1["Wrong A"]],
        q2.pk: [c2["B1"], c2["B2"]] if second_right else [c2["B1"]],
    }


def make_path(tenant, role, courses, name=None):
    path = LearningPath.objects.create(tenant=tenant, role=role, name=name or f"Path {role}")
    for i, course in enumerate(courses, start=1):
        LearningPathStep.objects.create(tenant=tenant, path=path, course=course, position=i)
    return path


def isolation_objects(world) -> dict:
    """One LMS object of each kind in the world's tenant, by URL kwarg / API basename, for the
    project-wide isolation walk (tests/test_isolation_walk.py)."""
    from enablement.lms import services
    from tenancy.access import actor_for_user

    course = make_course(world.tenant, title="Isolation course")
    module = course.modules.order_by("position").first()
    attempt = services.start_attempt(
        actor=actor_for_user(world.partner_sales, world.tenant), quiz=quiz_of(course)
    )
    enrollment = attempt.quiz.module.course.enrollments.get(user=world.partner_sales)
    return {
        "course_uuid": course.uuid,
        "module_uuid": module.uuid,
        "attempt_uuid": attempt.uuid,
        "course": course.uuid,
        "enrollment": enrollment.uuid,
        "quiz-attempt": attempt.uuid,
    }
