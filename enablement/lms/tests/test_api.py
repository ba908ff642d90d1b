"""API: courses, enrollments, quiz-attempts (start, read without answers, submit)."""

from __future__ import annotations

import json
import uuid

from enablement.lms.models import CourseStatus, Question
from tenancy.context import tenant_context

from .factories import answers_for, make_course, quiz_of


def public_answers(answers: dict[int, list[int]]) -> dict[str, list[str]]:
    """The API's form of `answers_for`: question and choice UUIDs, as the attempt shows them."""
    questions = Question.objects.filter(pk__in=answers).prefetch_related("choices")
    return {
        str(q.uuid): [str(c.uuid) for c in q.choices.all() if c.pk in answers[q.pk]]
        for q in questions
    }


def _course(world, **kwargs):
    with tenant_context(world.tenant):
        course = make_course(world.tenant, **kwargs)
        return course, quiz_of(course) if kwargs.get("quiz", True) else None


def test_courses_partner_sees_visible_published_staff_sees_all(acme):
    visible, _q = _course(acme, title="Visible")
    _course(acme, title="Draft", status=CourseStatus.DRAFT)
    _course(acme, title="Marketing", audiences=["marketing"])
    titles = {
        c["title"] for c in acme.api(acme.partner_sales).get("/api/v1/courses/").json()["results"]
    }
    assert titles == {"Visible"}
    staff = {c["title"] for c in acme.api(acme.executive).get("/api/v1/courses/").json()["results"]}
    assert staff == {"Visible", "Draft", "Marketing"}
    detail = acme.api(acme.partner_sales).get(f"/api/v1/courses/{visible.uuid}/").json()
    assert len(detail["modules"]) == 3


def test_courses_wrong_role_403_other_tenant_404(acme, globex):
    course, _q = _course(acme)
    assert acme.api(acme.sales).get("/api/v1/courses/").status_code == 403
    assert (
        globex.api(globex.partner_sales).get(f"/api/v1/courses/{course.uuid}/").status_code == 404
    )
    assert globex.api(globex.admin).get(f"/api/v1/courses/{course.uuid}/").status_code == 404


def test_attempt_flow_never_reveals_correct_answers(acme):
    course, quiz = _course(acme, attempts=2)
    api = acme.api(acme.partner_sales)
    response = api.post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json")
    assert response.status_code == 201
    body = response.content.decode()
    assert "is_correct" not in body and "correct" not in body
    attempt = response.json()
    assert len(attempt["questions"]) == 2
    assert {c["text"] for q in attempt["questions"] for c in q["choices"]} >= {"A", "Wrong A"}
    shown = api.get(f"/api/v1/quiz-attempts/{attempt['id']}/")
    assert "is_correct" not in shown.content.decode()
    with tenant_context(acme.tenant):
        answers = public_answers(answers_for(quiz, second_right=False))
    submitted = api.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": answers}, format="json"
    )
    assert submitted.status_code == 200, submitted.content
    data = submitted.json()
    assert data["score_pct"] == 50 and data["passed"] is True and data["attempts_left"] == 1
    assert "is_correct" not in submitted.content.decode() and data["questions"] == []
    again = api.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": {}}, format="json"
    )
    assert again.status_code == 400
    mine = api.get("/api/v1/enrollments/").json()["results"]
    assert [e["course_title"] for e in mine] == [course.title]


def sorted_questions(attempt):
    # The service lists missing answers in the quiz's order: Single? (1) then Multiple? (2).
    order = {"Single?": 1, "Multiple?": 2}
    return sorted(attempt["questions"], key=lambda q: order[q["text"]])


def test_attempts_exhausted_and_bad_answers_are_400(acme):
    _course_obj, quiz = _course(acme, attempts=1)
    api = acme.api(acme.partner_sales)
    attempt = api.post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json").json()
    bad = api.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit/",
        {"answers": {"999999": [1]}},
        format="json",
    )
    assert bad.status_code == 400
    question = attempt["questions"][0]
    for answers in (
        {str(uuid.uuid4()): [question["choices"][0]["id"]]},  # a question of no quiz
        {question["id"]: [str(uuid.uuid4())]},  # a choice of no question
        {question["id"]: [attempt["questions"][1]["choices"][0]["id"]]},  # another question's
    ):
        wrong = api.post(
            f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": answers}, format="json"
        )
        assert wrong.status_code == 400 and "answers" in wrong.json(), answers
    unanswered = api.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": {}}, format="json"
    )
    assert unanswered.status_code == 400
    assert unanswered.json()["answers"] == [
        f"Answer the question “{q['text']}”." for q in sorted_questions(attempt)
    ]
    complete = {q["id"]: [q["choices"][0]["id"]] for q in attempt["questions"]}
    done = api.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": complete}, format="json"
    )
    assert done.status_code == 200
    refused = api.post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json")
    assert refused.status_code == 400
    assert "attempts" in json.dumps(refused.json())


def test_attempts_wrong_role_403_outsiders_404(acme, globex):
    _c, quiz = _course(acme)
    assert (
        acme.api(acme.admin)
        .post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json")
        .status_code
        == 403
    )
    assert acme.api(acme.executive).get("/api/v1/enrollments/").status_code == 403
    attempt = (
        acme.api(acme.partner_sales)
        .post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json")
        .json()
    )
    assert (
        globex.api(globex.partner_sales)
        .post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json")
        .status_code
        == 404
    )
    assert (
        globex.api(globex.partner_sales).get(f"/api/v1/quiz-attempts/{attempt['id']}/").status_code
        == 404
    )
    assert (
        acme.api(acme.partner_presales)
        .post(f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": {}}, format="json")
        .status_code
        == 404
    )


def test_attempt_api_speaks_uuids_never_row_ids(acme):
    course, quiz = _course(acme)
    api = acme.api(acme.partner_sales)
    module = api.get(f"/api/v1/courses/{course.uuid}/").json()["modules"]
    assert str(quiz.uuid) in {m["quiz"] for m in module}
    by_row_id = api.post("/api/v1/quiz-attempts/", {"quiz": quiz.pk}, format="json")
    assert by_row_id.status_code in (400, 404)  # a row id names no quiz
    attempt = api.post("/api/v1/quiz-attempts/", {"quiz": str(quiz.uuid)}, format="json").json()
    ids = [attempt["id"], attempt["quiz"]] + [
        i for q in attempt["questions"] for i in [q["id"], *(c["id"] for c in q["choices"])]
    ]
    for value in ids:
        uuid.UUID(value)  # raises for a sequential id
    with tenant_context(acme.tenant):
        right = public_answers(answers_for(quiz))
    done = api.post(
        f"/api/v1/quiz-attempts/{attempt['id']}/submit/", {"answers": right}, format="json"
    )
    assert done.status_code == 200 and done.json()["score_pct"] == 100


# --- Course authoring through the API: the same limits, as 400 JSON ----------------------------


def test_api_course_hours_limits_are_field_errors_and_nothing_is_saved(acme, globex):
    from enablement.lms.models import Course

    api = acme.api(acme.admin)
    for hours, message in [
        ("-5", "Enter more than 0 hours."),
        ("100000", "Enter at most 500 hours."),
    ]:
        response = api.post(
            "/api/v1/courses/", {"title": "Bad", "estimated_hours": hours}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["estimated_hours"] == [message]
    with tenant_context(acme.tenant):
        assert not Course.objects.filter(title="Bad").exists()
    response = api.post(
        "/api/v1/courses/", {"title": "Good", "estimated_hours": "2.5"}, format="json"
    )
    assert response.status_code == 201 and response.json()["estimated_hours"] == "2.5"
    course_id = response.json()["id"]
    response = api.patch(f"/api/v1/courses/{course_id}/", {"estimated_hours": -5}, format="json")
    assert response.status_code == 400
    assert response.json()["estimated_hours"] == ["Enter more than 0 hours."]
    # wrong role 403, other tenant 404
    assert (
        acme.api(acme.executive)
        .post("/api/v1/courses/", {"title": "X", "estimated_hours": "1"}, format="json")
        .status_code
        == 403
    )
    assert (
        globex.api(globex.admin)
        .patch(f"/api/v1/courses/{course_id}/", {"estimated_hours": 1}, format="json")
        .status_code
        == 404
    )
