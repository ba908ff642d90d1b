"""Quiz scoring, attempt limits, progress/completion, visibility, path assignment, hours."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from enablement.lms import selectors, services
from enablement.lms.models import CourseStatus, Enrollment, QuizAttempt
from enablement.training import training_hours
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.roles import Role

from .factories import answers_for, make_course, make_path, quiz_of


def _actor(world, user):
    return actor_for_user(user, world.tenant)


def _submit(world, user, quiz, answers):
    actor = _actor(world, user)
    attempt = services.start_attempt(actor=actor, quiz=quiz)
    return services.submit_attempt(actor=actor, attempt=attempt, answers=answers)


@pytest.mark.parametrize(
    ("first", "second", "score"),
    [(True, True, 100), (True, False, 50), (False, True, 50), (False, False, 0)],
)
def test_quiz_scoring_single_and_multiple_choice(acme, first, second, score):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant, pass_mark=80))
        attempt = _submit(
            acme,
            acme.partner_sales,
            quiz,
            answers_for(quiz, first_right=first, second_right=second),
        )
        assert attempt.score_pct == score
        assert attempt.passed is (score >= 80)


def test_multiple_choice_with_an_extra_wrong_choice_is_wrong(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant))
        answers = answers_for(quiz)
        q2 = quiz.questions.get(position=2)
        answers[q2.pk] = list(q2.choices.values_list("pk", flat=True))  # all three
        attempt = _submit(acme, acme.partner_sales, quiz, answers)
        assert attempt.score_pct == 50


@pytest.mark.parametrize(("pass_mark", "passed"), [(50, True), (51, False)])
def test_pass_mark_boundary_is_inclusive(acme, pass_mark, passed):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant, pass_mark=pass_mark))
        attempt = _submit(acme, acme.partner_sales, quiz, answers_for(quiz, second_right=False))
        assert attempt.score_pct == 50
        assert attempt.passed is passed


def test_attempts_are_limited_per_user(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant, attempts=2))
        for _ in range(2):
            _submit(acme, acme.partner_sales, quiz, answers_for(quiz, first_right=False))
        with pytest.raises(ValidationError, match="all 2 attempts"):
            services.start_attempt(actor=_actor(acme, acme.partner_sales), quiz=quiz)
        # Another user still has theirs.
        assert _submit(acme, acme.partner_presales, quiz, answers_for(quiz)).passed


def test_open_attempt_is_resumed_not_duplicated(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant, attempts=1))
        actor = _actor(acme, acme.partner_sales)
        first = services.start_attempt(actor=actor, quiz=quiz)
        assert services.start_attempt(actor=actor, quiz=quiz) == first
        assert QuizAttempt.objects.count() == 1


def test_answers_must_belong_to_the_question(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant))
        actor = _actor(acme, acme.partner_sales)
        attempt = services.start_attempt(actor=actor, quiz=quiz)
        answers = answers_for(quiz)
        q1, q2 = list(quiz.questions.order_by("position"))
        answers[q1.pk] = [q2.choices.first().pk]
        with pytest.raises(ValidationError):
            services.submit_attempt(actor=actor, attempt=attempt, answers=answers)
        attempt.refresh_from_db()
        assert attempt.submitted_at is None


def test_single_choice_refuses_two_answers_and_others_cannot_submit(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant))
        actor = _actor(acme, acme.partner_sales)
        attempt = services.start_attempt(actor=actor, quiz=quiz)
        q1 = quiz.questions.get(position=1)
        with pytest.raises(ValidationError):
            services.submit_attempt(
                actor=actor,
                attempt=attempt,
                answers={q1.pk: list(q1.choices.values_list("pk", flat=True))},
            )
        with pytest.raises(PermissionDenied):
            services.submit_attempt(
                actor=_actor(acme, acme.partner_presales), attempt=attempt, answers={}
            )


def test_random_order_is_fixed_per_attempt(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant))
        attempt = services.start_attempt(actor=_actor(acme, acme.partner_sales), quiz=quiz)
        assert sorted(attempt.question_order) == sorted(quiz.questions.values_list("pk", flat=True))


def test_passing_completes_course_runs_hook_and_counts_hours(
    acme, django_capture_on_commit_callbacks
):
    seen = []
    hook = services.quiz_passed.registered(lambda attempt: seen.append(attempt.pk))
    with hook, tenant_context(acme.tenant):
        course = make_course(acme.tenant, modules=1)
        quiz = quiz_of(course)
        actor = _actor(acme, acme.partner_sales)
        module = course.modules.get(position=1)
        services.module_complete(actor=actor, module=module)
        services.module_complete(actor=actor, module=module)  # twice counts once
        with django_capture_on_commit_callbacks(execute=True):
            failed = _submit(
                acme,
                acme.partner_sales,
                quiz,
                answers_for(quiz, first_right=False, second_right=False),
            )
        assert seen == []
        with django_capture_on_commit_callbacks(execute=True):
            attempt = _submit(acme, acme.partner_sales, quiz, answers_for(quiz))
        assert seen == [attempt.pk] and failed.pk != attempt.pk
        enrollment = Enrollment.objects.get(user=acme.partner_sales, course=course)
        assert enrollment.completed_at is not None
        hours = training_hours([acme.partner_sales.pk, acme.partner_presales.pk])
        # One 15-minute module (900 s, counted once) + a quiz passed in a second: 0.25 h → 0.3.
        assert hours[acme.partner_sales.pk] == Decimal("0.3")
        assert hours[acme.partner_presales.pk] == 0


def test_visibility_by_status_audience_and_partner_type(acme):
    with tenant_context(acme.tenant):
        everyone = make_course(acme.tenant, title="Everyone", quiz=False)
        sales = make_course(acme.tenant, title="Sales only", audiences=["sales"], quiz=False)
        marketing = make_course(acme.tenant, title="Mkt", audiences=["marketing"], quiz=False)
        isv = make_course(acme.tenant, title="ISV", partner_types=["isv"], quiz=False)
        draft = make_course(acme.tenant, title="Draft", status=CourseStatus.DRAFT, quiz=False)
        seen = set(selectors.visible_courses(_actor(acme, acme.partner_sales)))
        assert seen == {everyone, sales}
        assert set(selectors.visible_courses(_actor(acme, acme.partner_marketing))) == {
            everyone,
            marketing,
        }
        staff = set(selectors.visible_courses(_actor(acme, acme.admin)))
        assert {everyone, sales, marketing, isv, draft} <= staff
        assert not selectors.visible_courses(_actor(acme, acme.sales)).exists()
        assert list(selectors.search_courses(_actor(acme, acme.partner_sales), "sales")) == [sales]


def test_path_is_assigned_for_role_and_on_role_change(acme, django_capture_on_commit_callbacks):
    with tenant_context(acme.tenant):
        sales_course = make_course(acme.tenant, title="Selling", audiences=["sales"])
        tech_course = make_course(acme.tenant, title="Tech", audiences=["presales"])
        make_path(acme.tenant, Role.PARTNER_SALES, [sales_course])
        make_path(acme.tenant, Role.PARTNER_PRESALES, [tech_course])
        membership = Membership.objects.get(user=acme.partner_sales)
        services.assign_path_for(membership)
        services.assign_path_for(membership)  # idempotent
        assert list(
            Enrollment.objects.filter(user=acme.partner_sales).values_list("course", flat=True)
        ) == [sales_course.pk]
        membership.role = Role.PARTNER_PRESALES
        membership.save()
        with django_capture_on_commit_callbacks(execute=True):
            services.membership_role_changed(membership=membership)
        assert set(
            Enrollment.objects.filter(user=acme.partner_sales).values_list("course", flat=True)
        ) == {sales_course.pk, tech_course.pk}
        learning = selectors.my_learning(actor_for_user(acme.partner_sales, acme.tenant))
        assert [s.course for s in learning.steps] == [tech_course]
        assert learning.next_course.course == tech_course


def test_authoring_publish_requires_modules_and_program_manage(acme):
    with tenant_context(acme.tenant):
        admin = _actor(acme, acme.admin)
        course = services.course_create(actor=admin, title="New", audiences=["sales"])
        with pytest.raises(ValidationError):
            services.course_set_status(actor=admin, course=course, status="published")
        module = services.module_create(actor=admin, course=course, title="Q", kind="quiz")
        with pytest.raises(ValidationError):
            services.question_create(
                actor=admin, quiz=module.quiz, text="?", kind="single", choices=[("a", True)]
            )
        services.question_create(
            actor=admin, quiz=module.quiz, text="?", kind="single", choices=[("a", True), ("b", 0)]
        )
        services.course_set_status(actor=admin, course=course, status="published")
        assert course.status == "published"
        with pytest.raises(PermissionDenied):
            services.course_create(actor=_actor(acme, acme.executive), title="Nope")


def test_an_unanswered_question_is_refused_and_nothing_is_scored(acme):
    with tenant_context(acme.tenant):
        quiz = quiz_of(make_course(acme.tenant))
        actor = _actor(acme, acme.partner_sales)
        attempt = services.start_attempt(actor=actor, quiz=quiz)
        answers = answers_for(quiz)
        q1, q2 = list(quiz.questions.order_by("position"))
        del answers[q2.pk]
        with pytest.raises(services.UnansweredQuestions) as error:
            services.submit_attempt(actor=actor, attempt=attempt, answers=answers)
        assert error.value.question_ids == {q2.pk}
        assert error.value.message_dict == {"answers": ["Answer the question “Multiple?”."]}
        with pytest.raises(services.UnansweredQuestions):
            services.submit_attempt(actor=actor, attempt=attempt, answers={q1.pk: [], q2.pk: []})
        attempt.refresh_from_db()
        assert attempt.submitted_at is None and attempt.score_pct is None
