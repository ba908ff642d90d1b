"""Portal (My learning, course, module, quiz flow, search) and console authoring pages."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enablement.lms import services
from enablement.lms.models import Course, CourseStatus, Enrollment, LearningPath, QuizAttempt
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.roles import Role

from .factories import answers_for, make_course, make_path, quiz_of


def _seed(world, n_courses=1):
    with tenant_context(world.tenant):
        courses = [make_course(world.tenant, title=f"Course {i}") for i in range(n_courses)]
        make_path(world.tenant, Role.PARTNER_SALES, courses)
        services.assign_path_for(Membership.objects.get(user=world.partner_sales))
    return courses


# --- My learning -------------------------------------------------------------------------------


def test_my_learning_shows_path_progress_and_next_step(acme):
    (course,) = _seed(acme)
    response = acme.client(acme.partner_sales).get(reverse("portal_learning"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Path partner_sales" in body and "Course 0" in body
    with tenant_context(acme.tenant):
        first = course.modules.first()
    assert reverse("portal_module", args=[course.uuid, first.uuid]) in body


def test_my_learning_wrong_role_403_and_other_tenant_404(acme, globex):
    assert acme.client(acme.admin).get(reverse("portal_learning")).status_code == 403
    (course,) = _seed(acme)
    page = reverse("portal_course", args=[course.uuid])
    assert globex.client(globex.partner_sales).get(page).status_code == 404
    assert acme.client(acme.partner_sales).get(page).status_code == 200


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_my_learning_and_course_page_queries_do_not_grow(acme):
    courses = _seed(acme, n_courses=1)
    client = acme.client(acme.partner_sales)
    course_url = reverse("portal_course", args=[courses[0].uuid])
    few = _count(client, reverse("portal_learning"))
    few_course = _count(client, course_url)
    with tenant_context(acme.tenant):
        more = [make_course(acme.tenant, title=f"More {i}", modules=4) for i in range(5)]
        path = services.path_save(
            actor=actor_for_user(acme.admin, acme.tenant),
            role=Role.PARTNER_SALES,
            name="Bigger",
            courses=[courses[0], *more],
        )
        assert path.steps.count() == 6
        for module in courses[0].modules.exclude(kind="quiz"):
            services.module_complete(
                actor=actor_for_user(acme.partner_sales, acme.tenant), module=module
            )
    assert _count(client, reverse("portal_learning")) == few
    assert _count(client, course_url) == few_course


# --- Quiz flow ---------------------------------------------------------------------------------


def _quiz_module(course):
    with tenant_context(course.tenant):
        return course.modules.get(kind="quiz")


def test_quiz_flow_never_shows_correct_answers_and_scores(acme):
    (course,) = _seed(acme)
    client = acme.client(acme.partner_sales)
    module = _quiz_module(course)
    response = client.post(reverse("portal_quiz_start", args=[course.uuid, module.uuid]))
    with tenant_context(acme.tenant):
        attempt = QuizAttempt.objects.get(user=acme.partner_sales)
        quiz = quiz_of(course)
        answers = answers_for(quiz)
    assert response.url == reverse("portal_quiz_attempt", args=[attempt.uuid])
    page = client.get(response.url).content.decode()
    assert "Single?" in page and "Wrong A" in page
    assert "is_correct" not in page and "correct" not in page.lower().replace("incorrect", "")
    post = {f"q{q}": c for q, c in answers.items()}
    response = client.post(reverse("portal_quiz_attempt", args=[attempt.uuid]), post)
    assert response.status_code == 302
    result = client.get(response.url).content.decode()
    assert "Passed" in result and "100%" in result and "2 attempts left" in result
    assert "Wrong A" not in result  # no answer sheet after submission either


def test_quiz_attempts_exhausted_shows_message(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, attempts=1)
    client = acme.client(acme.partner_sales)
    module = _quiz_module(course)
    start = reverse("portal_quiz_start", args=[course.uuid, module.uuid])
    attempt_url = client.post(start).url
    with tenant_context(acme.tenant):
        wrong = answers_for(quiz_of(course), first_right=False, second_right=False)
    client.post(attempt_url, {f"q{q}": c for q, c in wrong.items()})
    response = client.post(start, follow=True)
    assert "used all 1 attempts" in response.content.decode()
    with tenant_context(acme.tenant):
        assert QuizAttempt.objects.filter(user=acme.partner_sales).count() == 1


def test_attempt_of_someone_else_is_404(acme, globex):
    (course,) = _seed(acme)
    client = acme.client(acme.partner_sales)
    url = client.post(
        reverse("portal_quiz_start", args=[course.uuid, _quiz_module(course).uuid])
    ).url
    assert acme.client(acme.partner_presales).get(url).status_code == 404
    assert globex.client(globex.partner_sales).get(url).status_code == 404


def test_module_complete_and_enrol(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, quiz=False, modules=1)
        module = course.modules.get()
    client = acme.client(acme.partner_marketing)
    client.post(reverse("portal_course_enroll", args=[course.uuid]))
    page = client.get(reverse("portal_module", args=[course.uuid, module.uuid]))
    assert "Read me" in page.content.decode()
    client.post(reverse("portal_module_complete", args=[course.uuid, module.uuid]))
    with tenant_context(acme.tenant):
        assert Enrollment.objects.get(user=acme.partner_marketing).completed_at is not None


def test_hidden_course_is_404_for_partner(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, audiences=["marketing"])
        draft = make_course(acme.tenant, title="Draft", status=CourseStatus.DRAFT)
    client = acme.client(acme.partner_sales)
    assert client.get(reverse("portal_course", args=[course.uuid])).status_code == 404
    assert client.get(reverse("portal_course", args=[draft.uuid])).status_code == 404


def test_search_finds_visible_courses_only(acme, globex):
    with tenant_context(acme.tenant):
        make_course(acme.tenant, title="Negotiation basics", audiences=["sales"])
        make_course(acme.tenant, title="Negotiation for marketers", audiences=["marketing"])
    url = reverse("portal_search") + "?q=negotiation"
    body = acme.client(acme.partner_sales).get(url).content.decode()
    assert "Negotiation basics" in body and "for marketers" not in body
    assert acme.client(acme.admin).get(url).status_code == 403
    assert "Negotiation" not in globex.client(globex.partner_sales).get(url).content.decode()


# --- Console authoring -------------------------------------------------------------------------


def test_console_admin_creates_course_module_question_and_publishes(acme):
    client = acme.client(acme.admin)
    response = client.post(
        reverse("console_learning"),
        {
            "title": "Objection handling",
            "summary": "s",
            "audiences": ["sales"],
            "estimated_hours": "1.5",
        },
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        course = Course.objects.get(title="Objection handling")
    response = client.post(
        reverse("console_learning_course", args=[course.uuid]),
        {"module-title": "Check", "module-kind": "quiz", "module-position": 1, "module-minutes": 5},
    )
    assert response.status_code == 302, response.content
    with tenant_context(acme.tenant):
        module = course.modules.get()
    module_url = reverse("console_learning_module", args=[course.uuid, module.uuid])
    response = client.post(
        module_url,
        {
            "action": "question",
            "question-text": "Why?",
            "question-kind": "single",
            "question-choices": "*Because\nNo",
        },
    )
    assert response.status_code == 302
    page = client.get(module_url).content.decode()
    assert "Why?" in page and "Because" in page
    client.post(
        reverse("console_learning_course_status", args=[course.uuid]), {"status": "published"}
    )
    with tenant_context(acme.tenant):
        course.refresh_from_db()
        assert course.status == "published"
        assert module.quiz.questions.get().choices.filter(is_correct=True).count() == 1
    assert "Objection handling" in client.get(reverse("console_learning")).content.decode()


def test_console_form_errors_keep_input(acme):
    response = acme.client(acme.admin).post(
        reverse("console_learning"), {"title": "", "summary": "keep me", "estimated_hours": "1"}
    )
    assert response.status_code == 400
    assert "keep me" in response.content.decode()


def test_console_read_only_roles_and_wrong_roles(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, status=CourseStatus.DRAFT)
    executive = acme.client(acme.executive)
    assert executive.get(reverse("console_learning")).status_code == 200
    assert executive.get(reverse("console_learning_course", args=[course.uuid])).status_code == 200
    assert executive.post(reverse("console_learning"), {"title": "x"}).status_code == 403
    assert (
        executive.post(
            reverse("console_learning_course_status", args=[course.uuid]), {"status": "published"}
        ).status_code
        == 403
    )
    assert acme.client(acme.sales).get(reverse("console_learning")).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse("console_learning")).status_code == 403


def test_console_course_of_other_tenant_is_404(acme, globex):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant)
        module = course.modules.first()
    client = globex.client(globex.admin)
    assert client.get(reverse("console_learning_course", args=[course.uuid])).status_code == 404
    url = reverse("console_learning_module", args=[course.uuid, module.uuid])
    assert client.get(url).status_code == 404
    assert (
        client.post(
            reverse("console_learning_course_status", args=[course.uuid]), {"status": "retired"}
        ).status_code
        == 404
    )


def test_console_course_list_queries_do_not_grow(acme):
    with tenant_context(acme.tenant):
        make_course(acme.tenant, title="A")
    client = acme.client(acme.admin)
    few = _count(client, reverse("console_learning"))
    with tenant_context(acme.tenant):
        for i in range(5):
            make_course(acme.tenant, title=f"B{i}")
    assert _count(client, reverse("console_learning")) == few


def test_console_path_save_enrols_role_users_wrong_role_403(acme, globex):
    with tenant_context(acme.tenant):
        foundation = make_course(acme.tenant, title="Zeta 101")
        Course.objects.filter(pk=foundation.pk).update(is_foundation=True)
        selling = make_course(acme.tenant, title="Alpha selling", audiences=["sales"])
    data = {
        "path-role": Role.PARTNER_SALES,
        "path-name": "Sales path",
        "path-courses": [selling.pk, foundation.pk],
    }
    url = reverse("console_learning_path")
    assert acme.client(acme.executive).post(url, data).status_code == 403
    assert acme.client(acme.admin).post(url, data).status_code == 302
    with tenant_context(acme.tenant):
        path = LearningPath.objects.get(role=Role.PARTNER_SALES)
        assert [s.course for s in path.steps.all()] == [foundation, selling]
        assert Enrollment.objects.filter(user=acme.partner_sales).count() == 2
    # Another tenant's course ids are not choices there.
    response = globex.client(globex.admin).post(url, data)
    assert response.status_code == 400


# --- Learning paths hold only courses their role can see ----------------------------------------


def test_path_edit_refuses_a_course_the_role_cannot_see_with_a_field_error(acme):
    with tenant_context(acme.tenant):
        foundation = make_course(acme.tenant, title="Partner 101")
        marketing = make_course(acme.tenant, title="Co-marketing", audiences=["marketing"])
        isv_only = make_course(acme.tenant, title="ISV kit", partner_types=["isv"])
    url = reverse("console_learning_path")
    data = {
        "path-role": Role.PARTNER_ADMIN,
        "path-name": "Admin path",
        "path-courses": [foundation.pk, marketing.pk, isv_only.pk],
    }
    response = acme.client(acme.admin).post(url, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "“Co-marketing” is only for Marketing" in body
    assert "“ISV kit” is limited to some partner types" in body
    assert 'value="Admin path"' in body  # typed input kept
    with tenant_context(acme.tenant):
        assert not LearningPath.objects.exists()  # nothing saved
    data["path-courses"] = [foundation.pk]
    assert acme.client(acme.admin).post(url, data).status_code == 302


def test_course_edit_may_not_hide_it_from_a_path_that_holds_it(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, title="Everyone's course")
        make_path(acme.tenant, Role.PARTNER_ADMIN, [course])
    response = acme.client(acme.admin).post(
        reverse("console_learning_course", args=[course.uuid]),
        {"title": "Everyone's course", "audiences": ["sales"], "estimated_hours": "1"},
    )
    assert response.status_code == 400
    assert "The learning path of Partner admin holds this course" in response.content.decode()
    with tenant_context(acme.tenant):
        course.refresh_from_db()
        assert course.audiences == []


def test_path_progress_counts_the_paths_courses(acme):
    """Two-course path, one done: 50%, whatever the role may see of other courses. A course that
    became hidden before the rule existed still counts (and is shown as not available)."""
    with tenant_context(acme.tenant):
        done = make_course(acme.tenant, title="Done course", quiz=False, modules=1)
        todo = make_course(acme.tenant, title="Todo course", quiz=False, modules=1)
        legacy = make_course(
            acme.tenant, title="Legacy hidden", audiences=["marketing"], quiz=False
        )
        make_path(acme.tenant, Role.PARTNER_ADMIN, [done, todo])
        actor = actor_for_user(acme.partner_admin, acme.tenant)
        services.module_complete(actor=actor, module=done.modules.get())
    page = acme.client(acme.partner_admin).get(reverse("portal_learning")).content.decode()
    assert "50% complete" in page
    with tenant_context(acme.tenant):
        LearningPath.objects.get().steps.create(tenant=acme.tenant, course=legacy, position=3)
    page = acme.client(acme.partner_admin).get(reverse("portal_learning")).content.decode()
    assert "33% complete" in page and "Legacy hidden" in page
    assert reverse("portal_course", args=[legacy.uuid]) not in page


def test_console_learning_shows_role_names_not_codes(acme):
    with tenant_context(acme.tenant):
        make_path(acme.tenant, Role.PARTNER_PRESALES, [make_course(acme.tenant)])
    body = acme.client(acme.executive).get(reverse("console_learning")).content.decode()
    assert "(Partner pre-sales / technical)" in body
    assert "(partner_presales)" not in body


# --- Limits in business terms ------------------------------------------------------------------


def test_course_hours_must_be_positive_and_within_the_business_maximum(acme):
    client = acme.client(acme.admin)
    for hours, message in [
        ("-5", "Enter more than 0 hours."),
        ("0", "Enter more than 0 hours."),
        ("100000", "Enter at most 500 hours."),
        ("9223372036854775808", "Enter at most 500 hours."),
    ]:
        response = client.post(
            reverse("console_learning"),
            {"title": f"Course {hours}", "summary": "typed", "estimated_hours": hours},
        )
        assert response.status_code == 400
        assert response.context["form"].errors["estimated_hours"] == [message]
        assert f'value="{hours}"' in response.content.decode()  # typed input kept
    with tenant_context(acme.tenant):
        assert not Course.objects.exists()


def test_course_hours_limit_holds_on_edit_and_in_the_service(acme):
    from django.core.exceptions import ValidationError

    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, title="Existing")
    response = acme.client(acme.admin).post(
        reverse("console_learning_course", args=[course.uuid]),
        {"title": "Existing", "estimated_hours": "-5"},
    )
    assert response.status_code == 400
    with tenant_context(acme.tenant):
        course.refresh_from_db()
        assert course.estimated_hours == 1
        try:
            services.course_update(
                actor=actor_for_user(acme.admin, acme.tenant), course=course, estimated_hours=-5
            )
        except ValidationError as error:
            assert error.message_dict == {"estimated_hours": ["Enter more than 0 hours."]}
        else:
            raise AssertionError("negative hours were saved")


def test_module_minutes_and_quiz_settings_limits_in_business_terms(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, status=CourseStatus.DRAFT)
        quiz_module = course.modules.get(kind="quiz")
    client = acme.client(acme.admin)
    response = client.post(
        reverse("console_learning_course", args=[course.uuid]),
        {
            "module-title": "Long",
            "module-kind": "text",
            "module-body": "x",
            "module-position": 99999,
            "module-minutes": 99999999999,
        },
    )
    assert response.status_code == 400
    errors = response.context["module_form"].errors
    assert errors["minutes"] == ["Enter at most 600 minutes."]
    assert errors["position"] == ["Choose a position between 0 and 1,000."]
    response = client.post(
        reverse("console_learning_module", args=[course.uuid, quiz_module.uuid]),
        {"action": "quiz", "quiz-pass_mark_pct": 120, "quiz-attempts_allowed": 0},
    )
    assert response.status_code == 400
    errors = response.context["quiz_form"].errors
    assert errors["pass_mark_pct"] == ["Enter a pass mark between 0% and 100%."]
    assert errors["attempts_allowed"] == ["Allow at least 1 attempt."]
    assert "32767" not in response.content.decode()


# --- Quiz: missing answers, and which questions were wrong --------------------------------------


def test_unanswered_question_is_a_field_error_and_the_answers_given_are_kept(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant)
        quiz = quiz_of(course)
        answers = answers_for(quiz)
        q1, q2 = list(quiz.questions.order_by("position"))
    client = acme.client(acme.partner_sales)
    url = client.post(
        reverse("portal_quiz_start", args=[course.uuid, _quiz_module(course).uuid])
    ).url
    response = client.post(url, {f"q{q1.pk}": answers[q1.pk]})
    assert response.status_code == 400
    body = response.content.decode()
    assert "1 question has no answer yet" in body
    assert f'id="q{q2.pk}-error"' in body and f'id="q{q1.pk}-error"' not in body
    assert f'value="{answers[q1.pk][0]}" id="c{answers[q1.pk][0]}" checked' in body  # kept
    with tenant_context(acme.tenant):
        attempt = QuizAttempt.objects.get(user=acme.partner_sales)
        assert attempt.submitted_at is None  # nothing scored, no attempt used up


def test_failed_attempt_shows_which_questions_were_wrong_but_not_the_answers(acme):
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, pass_mark=100)
        quiz = quiz_of(course)
        answers = answers_for(quiz, second_right=False)
    client = acme.client(acme.partner_sales)
    url = client.post(
        reverse("portal_quiz_start", args=[course.uuid, _quiz_module(course).uuid])
    ).url
    response = client.post(url, {f"q{q}": c for q, c in answers.items()}, follow=True)
    body = response.content.decode()
    assert "Not passed: you scored 50%" in body
    review = response.context["review"]
    assert [
        (r.question.text, r.correct) for r in sorted(review, key=lambda r: r.question.position)
    ] == [
        ("Single?", True),
        ("Multiple?", False),
    ]
    assert "Wrong" in body and "Right" in body
    for choice_text in ("B1", "B2", "Wrong B", "Wrong A"):  # no answer sheet
        assert f">{choice_text}<" not in body
    # Somebody else's attempt stays 404; another tenant too.
    assert acme.client(acme.partner_presales).get(url).status_code == 404
