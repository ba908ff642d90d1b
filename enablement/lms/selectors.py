"""LMS reads: which courses an actor may see, "My learning", a course page, quiz attempts, the
console's course list and portal search. Training hours: enablement.training."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from enablement.training import user_training_seconds
from tenancy.access import Actor, Perm
from tenancy.registry import Registry
from tenancy.roles import Role

from .models import (
    Audience,
    Course,
    CourseModule,
    CourseStatus,
    Enrollment,
    LearningPath,
    LearningPathStep,
    ModuleKind,
    ModuleProgress,
    Question,
    QuizAttempt,
)

ROLE_AUDIENCE = {
    Role.PARTNER_SALES: Audience.SALES,
    Role.PARTNER_PRESALES: Audience.PRESALES,
    Role.PARTNER_MARKETING: Audience.MARKETING,
    Role.PARTNER_ADMIN: Audience.ALL,
}


def _partner_type(actor: Actor) -> str | None:
    if actor.api_key is not None:
        org = actor.api_key.partner_organization
    elif actor.membership is not None:
        org = actor.membership.partner_organization
    else:
        org = None
    return getattr(org, "partner_type", None)


def course_visible_to(course: Course, *, audience: str | None, partner_type: str | None) -> bool:
    if course.status != CourseStatus.PUBLISHED:
        return False
    audiences = course.audiences or []
    if audiences and Audience.ALL not in audiences and audience not in audiences:
        return False
    types = course.partner_types or []
    return not types or partner_type in types


def course_hidden_from_role(course: Course, role: str) -> str | None:
    """Why every member of a partner role cannot see `course` once it is published (None when
    they all can): its audience leaves the role out, or it is limited to some partner types while
    a role's learning path is for members of every type. A path never contains such a course."""
    audience = ROLE_AUDIENCE.get(role)
    audiences = course.audiences or []
    if audiences and Audience.ALL not in audiences and audience not in audiences:
        labels = ", ".join(str(Audience(a).label) for a in audiences if a in Audience.values)
        return _("“%(course)s” is only for %(audiences)s, so this role cannot see it.") % {
            "course": course.title,
            "audiences": labels,
        }
    if course.partner_types:
        return _(
            "“%(course)s” is limited to some partner types; a role's path is for members of "
            "every partner type."
        ) % {"course": course.title}
    return None


def visible_courses(actor: Actor) -> QuerySet[Course]:
    """Program staff (PROGRAM_VIEW) see every course; a partner user sees the published courses
    for their audience and partner type; anyone else sees none."""
    if actor.has(Perm.PROGRAM_VIEW):
        return Course.objects.all()
    if not actor.is_partner or not actor.mfa_satisfied:
        return Course.objects.none()
    audience = ROLE_AUDIENCE.get(actor.role)
    partner_type = _partner_type(actor)
    # NOTE: audience/type lists are JSON, which SQLite cannot search by element; published
    # courses per tenant are few, so decide in Python and filter by id.
    published = Course.objects.filter(status=CourseStatus.PUBLISHED).only(
        "pk", "status", "audiences", "partner_types"
    )
    ids = [
        c.pk
        for c in published
        if course_visible_to(c, audience=audience, partner_type=partner_type)
    ]
    return Course.objects.filter(pk__in=ids)


def learner_courses(actor: Actor) -> QuerySet[Course]:
    """What the portal shows: only published courses, even to staff previewing it."""
    return visible_courses(actor).filter(status=CourseStatus.PUBLISHED)


def search_courses(actor: Actor, q: str) -> QuerySet[Course]:
    q = (q or "").strip()
    if not q:
        return Course.objects.none()
    return learner_courses(actor).filter(Q(title__icontains=q) | Q(summary__icontains=q))


# --- My learning -------------------------------------------------------------------------------


@dataclass
class CourseProgress:
    course: Course
    enrollment: Enrollment | None
    modules_total: int
    modules_done: int
    # False for a path course the learner cannot open (a path edited before the rule existed).
    available: bool = True

    @property
    def percent(self) -> int:
        if not self.modules_total:
            return 0
        return round(100 * self.modules_done / self.modules_total)

    @property
    def completed(self) -> bool:
        return self.enrollment is not None and self.enrollment.completed_at is not None

    @property
    def state(self) -> str:
        if self.completed:
            return "completed"
        if self.enrollment is None:
            return "not_started"
        return "in_progress" if self.modules_done else "enrolled"


@dataclass
class MyLearning:
    path: LearningPath | None
    steps: list[CourseProgress] = field(default_factory=list)
    other: list[CourseProgress] = field(default_factory=list)
    next_course: CourseProgress | None = None
    next_module: CourseModule | None = None
    # Training time (enablement.training: courses + attended live sessions); `hours` filter.
    seconds_spent: int = 0

    @property
    def percent(self) -> int:
        if not self.steps:
            return 0
        return round(100 * sum(1 for s in self.steps if s.completed) / len(self.steps))


def my_learning(actor: Actor) -> MyLearning:
    """The learner's role path with progress per course, other enrolments, and what's next.
    Path progress counts the path's published courses (a path never holds a course its role
    cannot see; path_save refuses one). A fixed number of queries whatever the number of
    courses, modules or enrolments."""
    visible = learner_courses(actor).annotate(modules_total=Count("modules"))
    courses = {c.pk: c for c in visible}
    path = LearningPath.objects.filter(role=actor.role).first() if actor.role else None
    step_ids: list[int] = []
    if path is not None:
        step_ids = list(
            LearningPathStep.objects.filter(path=path, course__status=CourseStatus.PUBLISHED)
            .order_by("position", "id")
            .values_list("course_id", flat=True)
        )
        missing = [cid for cid in step_ids if cid not in courses]
        if missing:
            courses.update(
                (c.pk, c)
                for c in Course.objects.filter(pk__in=missing).annotate(
                    modules_total=Count("modules")
                )
            )
    enrollments = {
        e.course_id: e
        for e in Enrollment.objects.filter(user=actor.user, course_id__in=list(courses)).annotate(
            modules_done=Count("progress")
        )
    }
    result = MyLearning(path=path)
    result.seconds_spent = user_training_seconds(actor.user)
    visible_ids = {c.pk for c in visible}

    def progress(course: Course) -> CourseProgress:
        e = enrollments.get(course.pk)
        return CourseProgress(
            course=course,
            enrollment=e,
            modules_total=course.modules_total,
            modules_done=e.modules_done if e else 0,
            available=course.pk in visible_ids,
        )

    result.steps = [progress(courses[cid]) for cid in step_ids]
    in_path = set(step_ids)
    result.other = [
        progress(courses[cid]) for cid in enrollments if cid not in in_path and cid in visible_ids
    ]
    result.next_course = next(
        (s for s in [*result.steps, *result.other] if not s.completed and s.available), None
    )
    if result.next_course is not None:
        result.next_module = next_module_for(result.next_course.course, result.next_course)
    return result


def next_module_for(course: Course, progress: CourseProgress) -> CourseModule | None:
    done: set[int] = set()
    if progress.enrollment is not None:
        done = set(
            ModuleProgress.objects.filter(enrollment=progress.enrollment).values_list(
                "module_id", flat=True
            )
        )
    for module in course.modules.all().only("pk", "uuid", "title", "kind", "position"):
        if module.pk not in done:
            return module
    return None


# --- Course and module pages -------------------------------------------------------------------


@dataclass
class CoursePage:
    course: Course
    modules: list[CourseModule]
    enrollment: Enrollment | None
    done_ids: set[int]
    attempts_by_quiz: dict[int, int]
    passed_quiz_ids: set[int]

    @property
    def percent(self) -> int:
        if not self.modules:
            return 0
        return round(100 * len(self.done_ids) / len(self.modules))


def course_for_learner(actor: Actor, course_uuid) -> Course:
    return get_object_or_404(learner_courses(actor), uuid=course_uuid)


def course_page(actor: Actor, course_uuid) -> CoursePage:
    course = course_for_learner(actor, course_uuid)
    modules = list(CourseModule.objects.filter(course=course).select_related("quiz"))
    enrollment = Enrollment.objects.filter(course=course, user=actor.user).first()
    done = set()
    if enrollment is not None:
        done = set(enrollment.progress.values_list("module_id", flat=True))
    attempts: dict[int, int] = {}
    passed: set[int] = set()
    for quiz_id, ok in QuizAttempt.objects.filter(
        user=actor.user, quiz__module__course=course
    ).values_list("quiz_id", "passed"):
        attempts[quiz_id] = attempts.get(quiz_id, 0) + 1
        if ok:
            passed.add(quiz_id)
    return CoursePage(course, modules, enrollment, done, attempts, passed)


def module_for_learner(actor: Actor, course_uuid, module_uuid) -> CourseModule:
    course = course_for_learner(actor, course_uuid)
    return get_object_or_404(
        CourseModule.objects.filter(course=course).select_related("course"), uuid=module_uuid
    )


def attempts_for(actor: Actor, quiz) -> list[QuizAttempt]:
    return list(QuizAttempt.objects.filter(quiz=quiz, user=actor.user))


def attempt_for_actor(actor: Actor, attempt_uuid) -> QuizAttempt:
    """Only the attempt's taker sees it (others: 404)."""
    if actor.user is None:
        return get_object_or_404(QuizAttempt.objects.none(), uuid=attempt_uuid)
    return get_object_or_404(
        QuizAttempt.objects.filter(user=actor.user).select_related("quiz__module__course"),
        uuid=attempt_uuid,
    )


def my_attempts(actor: Actor) -> QuerySet[QuizAttempt]:
    if actor.user is None:
        return QuizAttempt.objects.none()
    return QuizAttempt.objects.filter(user=actor.user).select_related("quiz__module__course")


def attempt_questions(attempt: QuizAttempt) -> list[Question]:
    """The attempt's questions in its own (randomised) order, choices prefetched.
    WARNING: callers must not render `Choice.is_correct`."""
    questions = {
        q.pk: q
        for q in Question.objects.filter(pk__in=attempt.question_order).prefetch_related("choices")
    }
    return [questions[pk] for pk in attempt.question_order if pk in questions]


@dataclass
class QuestionResult:
    """One question of a submitted attempt: right or wrong (never which answer was right)."""

    question: Question
    correct: bool


def attempt_review(attempt: QuizAttempt) -> list[QuestionResult]:
    """Which questions of a submitted attempt were answered right, in the attempt's order."""
    if attempt.submitted_at is None:
        return []
    answers = attempt.answers or {}
    results = []
    for question in attempt_questions(attempt):
        right = {c.pk for c in question.choices.all() if c.is_correct}
        chosen = {int(c) for c in answers.get(str(question.pk), [])}
        results.append(QuestionResult(question=question, correct=chosen == right))
    return results


# What a passed attempt earned elsewhere, in words ("You earned the certification …"):
# certifications register here (enablement/certs/apps.py); `fn(attempt) -> list[str]`.
AttemptOutcome = Callable[[QuizAttempt], list[str]]
attempt_outcomes: Registry[AttemptOutcome] = Registry("lms.attempt_outcomes", required=True)


def attempt_outcome_notes(attempt: QuizAttempt) -> list[str]:
    if not attempt.passed:
        return []
    return [note for notes in attempt_outcomes.run(attempt) for note in notes]


def my_enrollments(actor: Actor) -> QuerySet[Enrollment]:
    if actor.user is None:
        return Enrollment.objects.none()
    return (
        Enrollment.objects.filter(user=actor.user)
        .select_related("course")
        .annotate(
            # distinct: progress rows and modules are two joins that multiply each other.
            modules_done=Count("progress", distinct=True),
            modules_total=Count("course__modules", distinct=True),
        )
    )


# --- Console -----------------------------------------------------------------------------------


def console_courses(actor: Actor) -> QuerySet[Course]:
    return Course.objects.annotate(
        module_count=Count("modules", distinct=True),
        enrolled=Count("enrollments", distinct=True),
        # distinct: the join with modules repeats each enrolment once per module.
        completed=Count(
            "enrollments",
            filter=Q(enrollments__completed_at__isnull=False),
            distinct=True,
        ),
    ).order_by("status", "title")


def portal_course_catalogue(actor: Actor) -> QuerySet[Course]:
    """Every course the learner may open, with its module count and their own progress."""
    mine = Enrollment.objects.filter(course=OuterRef("pk"), user=actor.user)
    return learner_courses(actor).annotate(
        modules_total=Count("modules", distinct=True),
        my_enrolled=Exists(mine),
        my_completed=Exists(mine.filter(completed_at__isnull=False)),
    )


def console_course(actor: Actor, course_uuid) -> Course:
    return get_object_or_404(Course.objects.all(), uuid=course_uuid)


def console_module(actor: Actor, course_uuid, module_uuid) -> CourseModule:
    return get_object_or_404(
        CourseModule.objects.select_related("course"),
        course__uuid=course_uuid,
        uuid=module_uuid,
    )


def quiz_questions(quiz) -> list[Question]:
    return list(quiz.questions.prefetch_related("choices"))


def learning_paths() -> QuerySet[LearningPath]:
    return LearningPath.objects.prefetch_related("steps__course").order_by("role")


# --- For other apps (onboarding) ---------------------------------------------------------------


def foundation_completed_at(user_ids) -> dict[int, datetime]:
    """{user id: when they first completed a foundation (101) course}, for those who did."""
    rows = (
        Enrollment.objects.filter(
            course__is_foundation=True, completed_at__isnull=False, user_id__in=list(user_ids)
        )
        .values("user_id")
        .annotate(first=Min("completed_at"))
    )
    return {row["user_id"]: row["first"] for row in rows}


def foundation_course() -> tuple[Course | None, CourseModule | None]:
    """The published 101 course and its first module (either may be None)."""
    course = (
        Course.objects.filter(is_foundation=True, status=CourseStatus.PUBLISHED)
        .order_by("published_at", "pk")
        .first()
    )
    if course is None:
        return None, None
    return course, course.modules.order_by("position", "pk").first()


__all__ = [
    "ModuleKind",
    "foundation_completed_at",
    "foundation_course",
    "course_page",
    "my_learning",
    "search_courses",
    "visible_courses",
]
