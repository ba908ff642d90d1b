"""LMS writes: course authoring (program admins), enrolment and progress, quiz attempts and
scoring, learning-path assignment. Certification exams reuse `start_attempt`/`submit_attempt`
and hear about passes through the `quiz_passed` registry."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from enablement import limits
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import on_commit_in_tenant, require_current_tenant
from tenancy.registry import Registry
from tenancy.uploads import DOCUMENT_KINDS, sniff_upload, unique_name

from .models import (
    Choice,
    Course,
    CourseModule,
    CourseStatus,
    Enrollment,
    LearningPath,
    LearningPathStep,
    ModuleKind,
    ModuleProgress,
    Question,
    QuestionKind,
    Quiz,
    QuizAttempt,
)

COURSE_FIELDS = [
    "title",
    "summary",
    "audiences",
    "partner_types",
    "estimated_hours",
    "is_foundation",
]
MODULE_FIELDS = ["title", "kind", "position", "body", "video_url", "file", "minutes"]
QUIZ_FIELDS = ["pass_mark_pct", "attempts_allowed", "randomize"]
MAX_MODULE_FILE_BYTES = 50 * 1024 * 1024

# --- Hooks -------------------------------------------------------------------------------------

# `fn(attempt)` runs on commit after a passing attempt is saved; certifications register here
# (enablement/certs/apps.py) and award what the quiz earns.
QuizPassedHook = Callable[[QuizAttempt], Any]
quiz_passed: Registry[QuizPassedHook] = Registry("lms.quiz_passed", required=True)


def _run_quiz_passed_hooks(attempt: QuizAttempt) -> None:
    quiz_passed.run(attempt)


# --- Authoring (console) -----------------------------------------------------------------------


def _require_manage(actor: Actor) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)


def _apply(obj, data: dict[str, Any], allowed: list[str]) -> dict[str, Any]:
    changes = {}
    for name in allowed:
        if name in data:
            value = data[name]
            if getattr(obj, name) != value:
                changes[name] = str(value)
            setattr(obj, name, value)
    return changes


@transaction.atomic
def course_create(*, actor: Actor, **data: Any) -> Course:
    _require_manage(actor)
    course = Course(tenant=require_current_tenant())
    _apply(course, data, COURSE_FIELDS)
    _validate_course(course)
    course.save()
    audit_record(actor=actor, action="lms.course.created", target=course)
    return course


@transaction.atomic
def course_update(*, actor: Actor, course: Course, **data: Any) -> Course:
    _require_manage(actor)
    changes = _apply(course, data, COURSE_FIELDS)
    _validate_course(course)
    _keep_visible_to_its_paths(course)
    course.save()
    if changes:
        audit_record(actor=actor, action="lms.course.updated", target=course, changes=changes)
    return course


def _validate_course(course: Course) -> None:
    """Business limits first (their words, not the column's range), then the model's checks."""
    if error := limits.course_hours_error(course.estimated_hours):
        raise ValidationError({"estimated_hours": error})
    course.full_clean()


def _keep_visible_to_its_paths(course: Course) -> None:
    """An audience or partner-type change may not hide a course from a path that holds it."""
    roles = LearningPath.objects.filter(steps__course=course).values_list("role", flat=True)
    problems = path_course_problems_for_roles(course, roles)
    if problems:
        field = "partner_types" if course.partner_types else "audiences"
        raise ValidationError({field: problems})


def path_course_problems_for_roles(course: Course, roles) -> list[str]:
    from tenancy.roles import Role

    from .selectors import course_hidden_from_role

    problems = []
    for role in sorted(set(roles)):
        if course_hidden_from_role(course, role):
            label = Role(role).label if role in Role.values else role
            problems.append(
                _(
                    "The learning path of %(role)s holds this course: its members must be able "
                    "to see it. Remove it from that path first."
                )
                % {"role": label}
            )
    return problems


@transaction.atomic
def course_set_status(*, actor: Actor, course: Course, status: str) -> Course:
    """Publish (draft/retired → published) or retire a course."""
    _require_manage(actor)
    if status not in CourseStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    if status == CourseStatus.PUBLISHED and not course.modules.exists():
        raise ValidationError(_("A course needs at least one module before it is published."))
    previous = course.status
    course.status = status
    if status == CourseStatus.PUBLISHED and course.published_at is None:
        course.published_at = timezone.now()
    course.save(update_fields=["status", "published_at"])
    audit_record(
        actor=actor,
        action=f"lms.course.{status}",
        target=course,
        changes={"status": [previous, status]},
    )
    return course


@transaction.atomic
def module_create(*, actor: Actor, course: Course, **data: Any) -> CourseModule:
    _require_manage(actor)
    module = CourseModule(tenant=course.tenant, course=course)
    if "position" not in data:
        data["position"] = course.modules.count() + 1
    _apply(module, data, MODULE_FIELDS)
    _validate_module(module)
    module.save()
    if module.kind == ModuleKind.QUIZ:
        Quiz.objects.create(tenant=course.tenant, module=module)
    audit_record(actor=actor, action="lms.module.created", target=module)
    return module


@transaction.atomic
def module_update(*, actor: Actor, module: CourseModule, **data: Any) -> CourseModule:
    _require_manage(actor)
    was_quiz = module.kind == ModuleKind.QUIZ
    # From the row: a ModelForm has already put the new upload on `module`.
    old_file = CourseModule.objects.filter(pk=module.pk).values_list("file", flat=True).first()
    _apply(module, data, MODULE_FIELDS)
    if was_quiz and module.kind != ModuleKind.QUIZ:
        raise ValidationError({"kind": _("A quiz module stays a quiz.")})
    _validate_module(module)
    module.save()
    if old_file and old_file != (module.file.name if module.file else ""):
        # The replaced file goes once the new one is committed (a rollback keeps it).
        storage = module.file.storage
        transaction.on_commit(lambda: storage.delete(old_file))
    if module.kind == ModuleKind.QUIZ:
        Quiz.objects.get_or_create(tenant=module.tenant, module=module)
    return module


def _validate_module(module: CourseModule) -> None:
    errors = {}
    if error := limits.module_minutes_error(module.minutes):
        errors["minutes"] = error
    if error := limits.position_error(module.position):
        errors["position"] = error
    if errors:
        raise ValidationError(errors)
    _accept_new_file(module)
    module.full_clean()
    if module.kind == ModuleKind.VIDEO and not module.video_url:
        raise ValidationError({"video_url": _("A video module needs a video link.")})
    if module.kind == ModuleKind.TEXT and not module.body.strip():
        raise ValidationError({"body": _("A text module needs some text.")})
    if module.kind == ModuleKind.FILE and not module.file:
        raise ValidationError({"file": _("A file module needs a file.")})


def _accept_new_file(module: CourseModule) -> None:
    """A newly uploaded file is checked by its content (never its name) and renamed to the
    module's uuid and the sniffed extension; it is written under the tenant when the row is
    saved."""
    field_file = module.file
    if not field_file:  # none, or cleared in the form (False)
        module.file, module.file_name, module.file_type = "", "", ""
        return
    if getattr(field_file, "_committed", True):
        return
    sniffed = sniff_upload(field_file.file, allowed=DOCUMENT_KINDS, max_bytes=MAX_MODULE_FILE_BYTES)
    module.file_name = (field_file.name or f"file.{sniffed.ext}").rsplit("/", 1)[-1][:200]
    module.file_type = sniffed.mime
    field_file.name = unique_name(str(module.uuid), sniffed.ext)


@transaction.atomic
def quiz_update(*, actor: Actor, quiz: Quiz, **data: Any) -> Quiz:
    _require_manage(actor)
    _apply(quiz, data, QUIZ_FIELDS)
    errors = {}
    if error := limits.pass_mark_error(quiz.pass_mark_pct):
        errors["pass_mark_pct"] = error
    if error := limits.quiz_attempts_error(quiz.attempts_allowed):
        errors["attempts_allowed"] = error
    if errors:
        raise ValidationError(errors)
    quiz.full_clean()
    quiz.save()
    return quiz


@transaction.atomic
def question_create(
    *, actor: Actor, quiz: Quiz, text: str, kind: str, choices: list[tuple[str, bool]]
) -> Question:
    """Add a question with its choices; single choice needs exactly one correct answer,
    multiple choice at least one."""
    _require_manage(actor)
    choices = [(c.strip(), bool(ok)) for c, ok in choices if c.strip()]
    if len(choices) < 2:
        raise ValidationError({"choices": _("Give at least two answers.")})
    correct = sum(1 for _c, ok in choices if ok)
    if kind == QuestionKind.SINGLE and correct != 1:
        raise ValidationError({"choices": _("A single-choice question has one correct answer.")})
    if correct < 1:
        raise ValidationError({"choices": _("Mark at least one answer correct.")})
    question = Question(
        tenant=quiz.tenant,
        quiz=quiz,
        text=text,
        kind=kind,
        position=quiz.questions.count() + 1,
    )
    question.full_clean()
    question.save()
    Choice.objects.bulk_create(
        Choice(tenant=quiz.tenant, question=question, text=t, is_correct=ok, position=i)
        for i, (t, ok) in enumerate(choices, start=1)
    )
    return question


# --- Learners ----------------------------------------------------------------------------------


def _require_learner_access(actor: Actor, course: Course) -> None:
    from . import selectors

    if not selectors.visible_courses(actor).filter(pk=course.pk).exists():
        raise PermissionDenied(_("This course is not available to you."))


@transaction.atomic
def enroll(*, actor: Actor, course: Course, enforce_visibility: bool = True) -> Enrollment:
    if actor.user is None:
        raise PermissionDenied(_("Only people enrol in courses."))
    if enforce_visibility:
        _require_learner_access(actor, course)
    enrollment, _created = Enrollment.objects.get_or_create(
        tenant=course.tenant, course=course, user=actor.user
    )
    return enrollment


def _enroll_user(*, user, course: Course) -> Enrollment:
    enrollment, _created = Enrollment.objects.get_or_create(
        tenant=course.tenant, course=course, user=user
    )
    return enrollment


@transaction.atomic
def module_complete(
    *, actor: Actor, module: CourseModule, seconds_spent: int | None = None
) -> ModuleProgress:
    """Mark a content module done. Time spent defaults to the module's estimated minutes; a
    quiz module is completed by passing its quiz, not through here."""
    if module.kind == ModuleKind.QUIZ:
        raise ValidationError(_("Pass the quiz to complete this module."))
    enrollment = enroll(actor=actor, course=module.course)
    return _record_progress(enrollment=enrollment, module=module, seconds_spent=seconds_spent)


def _record_progress(
    *, enrollment: Enrollment, module: CourseModule, seconds_spent: int | None
) -> ModuleProgress:
    seconds = max(0, int(seconds_spent if seconds_spent is not None else module.minutes * 60))
    progress, created = ModuleProgress.objects.get_or_create(
        tenant=enrollment.tenant,
        enrollment=enrollment,
        module=module,
        defaults={"seconds_spent": seconds},
    )
    if created:
        Enrollment.objects.filter(pk=enrollment.pk).update(
            seconds_spent=F("seconds_spent") + seconds
        )
        _maybe_complete(enrollment)
    return progress


def _maybe_complete(enrollment: Enrollment) -> None:
    enrollment.refresh_from_db()
    if enrollment.completed_at is not None:
        return
    module_ids = set(enrollment.course.modules.values_list("pk", flat=True))
    done = set(enrollment.progress.values_list("module_id", flat=True))
    if module_ids and module_ids <= done:
        enrollment.completed_at = timezone.now()
        enrollment.save(update_fields=["completed_at"])


# --- Quiz attempts -----------------------------------------------------------------------------


@transaction.atomic
def start_attempt(*, actor: Actor, quiz: Quiz, enforce_visibility: bool = True) -> QuizAttempt:
    """Start (or resume the open) attempt at a quiz, within the quiz's attempt limit. The
    question order is fixed once per attempt (randomised when the quiz says so)."""
    if actor.user is None:
        raise PermissionDenied(_("Only people take quizzes."))
    quiz = Quiz.objects.select_for_update().select_related("module__course").get(pk=quiz.pk)
    if enforce_visibility:
        _require_learner_access(actor, quiz.module.course)
    mine = QuizAttempt.objects.filter(quiz=quiz, user=actor.user)
    open_attempt = mine.filter(submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    if mine.count() >= quiz.attempts_allowed:
        raise ValidationError(
            _("You have used all %(n)s attempts at this quiz.") % {"n": quiz.attempts_allowed}
        )
    order = list(quiz.questions.values_list("pk", flat=True))
    if not order:
        raise ValidationError(_("This quiz has no questions yet."))
    if quiz.randomize:
        random.SystemRandom().shuffle(order)
    if enforce_visibility:
        _enroll_user(user=actor.user, course=quiz.module.course)
    return QuizAttempt.objects.create(
        tenant=quiz.tenant, quiz=quiz, user=actor.user, question_order=order
    )


def _normalise_answers(answers: dict) -> dict[int, list[int]]:
    try:
        return {
            int(q): sorted({int(c) for c in (cs if isinstance(cs, list | tuple) else [cs])})
            for q, cs in (answers or {}).items()
        }
    except (TypeError, ValueError) as exc:
        raise ValidationError({"answers": _("Answers must be question and choice ids.")}) from exc


def score_answers(quiz: Quiz, questions: list[Question], answers: dict[int, list[int]]) -> int:
    """A question counts when the chosen set equals the correct set exactly."""
    if not questions:
        return 0
    correct = 0
    for question in questions:
        right = {c.pk for c in question.choices.all() if c.is_correct}
        if set(answers.get(question.pk, [])) == right:
            correct += 1
    return round(100 * correct / len(questions))


class UnansweredQuestions(ValidationError):
    """Some questions of the attempt have no answer: nothing is scored; `question_ids` says which
    (the page marks them; the API lists them under `answers`)."""

    def __init__(self, questions: list[Question]) -> None:
        self.question_ids = {q.pk for q in questions}
        messages = [
            _("Answer the question “%(q)s”.") % {"q": q.text[:80]}
            for q in sorted(questions, key=lambda q: (q.position, q.pk))
        ]
        super().__init__({"answers": messages})


@transaction.atomic
def submit_attempt(
    *, actor: Actor, attempt: QuizAttempt, answers: dict[int, list[int]]
) -> QuizAttempt:
    """Score an attempt: `answers` maps question id → chosen choice ids. Passing completes the
    quiz module (and the course when it was the last one) and, on commit, runs the
    quiz-passed hooks (certifications)."""
    attempt = (
        QuizAttempt.objects.select_for_update()
        .select_related("quiz__module__course")
        .get(pk=attempt.pk)
    )
    if actor.user is None or attempt.user_id != actor.user.pk:
        raise PermissionDenied(_("This is not your attempt."))
    if attempt.submitted_at is not None:
        raise ValidationError(_("This attempt was already submitted."))
    answers = _normalise_answers(answers)
    questions = list(
        Question.objects.filter(pk__in=attempt.question_order).prefetch_related("choices")
    )
    by_id = {q.pk: q for q in questions}
    errors = []
    for question_id, choice_ids in answers.items():
        question = by_id.get(question_id)
        if question is None:
            errors.append(_("An answer refers to a question outside this quiz."))
            continue
        valid = {c.pk for c in question.choices.all()}
        if not set(choice_ids) <= valid:
            errors.append(_("An answer refers to a choice outside its question."))
        if question.kind == QuestionKind.SINGLE and len(choice_ids) > 1:
            errors.append(_("Choose one answer for “%(q)s”.") % {"q": question.text[:60]})
    if errors:
        raise ValidationError({"answers": errors})
    unanswered = [q for q in questions if not answers.get(q.pk)]
    if unanswered:
        raise UnansweredQuestions(unanswered)
    quiz = attempt.quiz
    attempt.answers = {str(k): v for k, v in answers.items()}
    attempt.score_pct = score_answers(quiz, questions, answers)
    attempt.passed = attempt.score_pct >= quiz.pass_mark_pct
    attempt.submitted_at = timezone.now()
    attempt.save(update_fields=["answers", "score_pct", "passed", "submitted_at"])
    if attempt.passed:
        enrollment = Enrollment.objects.filter(
            course=quiz.module.course, user_id=attempt.user_id
        ).first()
        if enrollment is not None:
            seconds = int((attempt.submitted_at - attempt.started_at).total_seconds())
            _record_progress(
                enrollment=enrollment,
                module=quiz.module,
                seconds_spent=min(seconds, quiz.module.minutes * 60 * 3),
            )
        on_commit_in_tenant(lambda: _run_quiz_passed_hooks(attempt))
    return attempt


# --- Learning paths ----------------------------------------------------------------------------


@transaction.atomic
def path_save(
    *, actor: Actor, role: str, name: str, courses: list[Course], description: str = ""
) -> LearningPath:
    """Create or replace the learning path of a partner role (ordered courses). Every course must
    be one each member of the role can see (audience, partner types): refused otherwise, as a
    field error on `courses`."""
    _require_manage(actor)
    problems = path_course_problems(role, courses)
    if problems:
        raise ValidationError({"courses": problems})
    path, _created = LearningPath.objects.update_or_create(
        tenant=require_current_tenant(),
        role=role,
        defaults={"name": name, "description": description},
    )
    path.steps.all().delete()
    LearningPathStep.objects.bulk_create(
        LearningPathStep(tenant=path.tenant, path=path, course=c, position=i)
        for i, c in enumerate(courses, start=1)
    )
    audit_record(
        actor=actor,
        action="lms.path.saved",
        target=path,
        changes={"courses": [c.title for c in courses]},
    )
    for membership in _active_memberships(role):
        assign_path_for(membership)
    return path


def path_course_problems(role: str, courses) -> list[str]:
    """Why some of `courses` cannot be in the learning path of `role` (empty: they all can)."""
    from .selectors import course_hidden_from_role

    return [reason for c in courses if (reason := course_hidden_from_role(c, role))]


def _active_memberships(role: str):
    from tenancy.models import Membership

    return Membership.objects.filter(role=role, is_active=True).select_related("user")


@transaction.atomic
def assign_path_for(membership) -> LearningPath | None:
    """Enrol a partner user in the published courses of their role's learning path. Call it when
    a membership is created or its role changes; idempotent (existing enrolments stay)."""
    if not membership.is_active or membership.partner_organization_id is None:
        return None
    path = (
        LearningPath.objects.filter(role=membership.role).prefetch_related("steps__course").first()
    )
    if path is None:
        return None
    actor = Actor(tenant=membership.tenant, user=membership.user, membership=membership)
    from . import selectors

    visible = set(selectors.visible_courses(actor).values_list("pk", flat=True))
    for step in path.steps.all():
        if step.course_id in visible:
            _enroll_user(user=membership.user, course=step.course)
    return path


def membership_role_changed(*, membership, **_kwargs: Any) -> None:
    """Hook for tenancy: after a membership is created or its role changes (on commit)."""
    on_commit_in_tenant(lambda: assign_path_for(membership))


def enroll_user_in_foundation(user) -> Enrollment | None:
    """Enrol a user in the tenant's published foundation (101) course, if there is one (used by
    onboarding for new partner users). Idempotent: an existing enrolment is returned as is."""
    course = (
        Course.objects.filter(is_foundation=True, status=CourseStatus.PUBLISHED)
        .order_by("published_at", "pk")
        .first()
    )
    if course is None:
        return None
    return _enroll_user(user=user, course=course)
