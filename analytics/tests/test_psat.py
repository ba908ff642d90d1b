"""Partner satisfaction surveys: sending, reminders, answers (anonymous or named), and every
figure against a hand-computed data set (PSAT score, NPS, response rate, by question, tier and
region), half-up rounding, access both sides, the pages and their CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from analytics import psat
from analytics.models import AnalyticsSettings, PsatInvitation, PsatResponse, PsatSurvey
from partners.models import LifecycleState, Tier
from tenancy.access import SYSTEM
from tenancy.context import tenant_context
from tenancy.emails import OutboundEmail

pytestmark = pytest.mark.django_db
URL = "console_analytics_psat"
QUESTIONS = ["Easy to do business with?", "Training useful?", "Deal support?"]
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def program(acme):
    """Partner One (Gold, EMEA, managed by the manager) has 4 users; Partner Two (Silver, NA,
    nobody's) has 1: 5 people asked. Named answers unless a test says otherwise."""
    with tenant_context(acme.tenant):
        gold = Tier.objects.create(name="Gold", rank=2)
        silver = Tier.objects.create(name="Silver", rank=1)
        for partner, tier, region, manager in (
            (acme.partner, gold, "EMEA", acme.manager),
            (acme.other_partner, silver, "NA", None),
        ):
            partner.tier, partner.regions, partner.channel_manager = tier, [region], manager
            partner.state = LifecycleState.ACTIVE
            partner.save()
        AnalyticsSettings.objects.update_or_create(
            defaults={"psat_questions": QUESTIONS, "psat_anonymous": False, "psat_open_days": 21}
        )
    return {"gold": gold, "silver": silver}


def _open(acme, **kwargs):
    with tenant_context(acme.tenant):
        return psat.survey_open(actor=acme.actor(acme.admin), **kwargs)


def _answer(acme, user, survey, scores, recommend, comment=""):
    with tenant_context(acme.tenant):
        return psat.survey_answer(
            actor=acme.actor(user), survey=survey, scores=scores, recommend=recommend,
            comment=comment,
        )  # fmt: skip


def _reference(acme):
    """Three of five answer: (5,4,3) 10 · (4,4,2) 8 · (3,2,1) 6 (the last from Partner Two)."""
    survey = _open(acme, title="H1 survey")
    _answer(acme, acme.partner_admin, survey, [5, 4, 3], 10, "Great portal")
    _answer(acme, acme.partner_sales, survey, [4, 4, 2], 8)
    _answer(acme, acme.other_partner_admin, survey, [3, 2, 1], 6, "Slow approvals")
    return survey


def _figures(sums):
    return {key: metric.of(sums) for key, metric in psat.SURVEY_METRICS.items()}


def test_figures_match_the_hand_computed_reference(program, acme):
    survey = _reference(acme)
    with tenant_context(acme.tenant):
        executive = acme.actor(acme.executive)
        total = psat.sums(executive, [survey])[None]
        # 28 points over 9 answers = 3.11 → 3.1; NPS (1 promoter − 1 detractor) / 3 = 0;
        # 3 of 5 people answered = 60.0 %.
        assert _figures(total) == {
            "psat_score": D("3.1"), "nps": D("0"), "response_rate": D("60.0"), "responses": 3,
        }  # fmt: skip
        assert psat.question_averages(executive, survey) == [
            (QUESTIONS[0], D("4.0")),  # 12 / 3
            (QUESTIONS[1], D("3.3")),  # 10 / 3 = 3.33
            (QUESTIONS[2], D("2.0")),  # 6 / 3
        ]
        by_tier = psat.sums(executive, [survey], by="tier")
        gold, silver = program["gold"].pk, program["silver"].pk
        # Gold: 22 points / 6 = 3.67 → 3.7, NPS (1 − 0) / 2 = +50, 2 of 4 asked = 50.0 %.
        assert _figures(by_tier[gold]) == {
            "psat_score": D("3.7"), "nps": D("50"), "response_rate": D("50.0"), "responses": 2,
        }  # fmt: skip
        # Silver: 6 / 3 = 2.0, NPS −100, 1 of 1 = 100.0 %.
        assert _figures(by_tier[silver]) == {
            "psat_score": D("2.0"), "nps": D("-100"), "response_rate": D("100.0"), "responses": 1,
        }  # fmt: skip
        by_region = psat.sums(executive, [survey], by="region")
        assert _figures(by_region["EMEA"])["psat_score"] == D("3.7")
        assert _figures(by_region["NA"])["nps"] == D("-100")
        filtered = psat.sums(executive, [survey], psat.PsatFilters(region="NA"))[None]
        assert _figures(filtered)["responses"] == 1
        assert [r.comment for r in psat.comments(executive, survey)] == [
            "Slow approvals", "Great portal",
        ]  # fmt: skip


def test_rounding_is_half_up():
    score, nps, rate = (psat.SURVEY_METRICS[k] for k in ("psat_score", "nps", "response_rate"))
    assert score.of({"score_sum": 27, "score_count": 12}) == D("2.3")  # 2.25 (banker's: 2.2)
    assert score.of({"score_sum": 33, "score_count": 12}) == D("2.8")  # 2.75
    assert nps.of({"responses": 8, "promoters": 3, "detractors": 2}) == D("13")  # 12.5
    assert nps.of({"responses": 8, "promoters": 2, "detractors": 3}) == D("-13")  # −12.5
    assert rate.of({"invited": 16, "answered": 1}) == D("6.3")  # 6.25
    assert score.of({}) is None and nps.of({}) is None and rate.of({}) is None


def test_anonymous_answers_name_nobody(program, acme):
    with tenant_context(acme.tenant):
        AnalyticsSettings.objects.update(psat_anonymous=True)
    with time_machine.travel(START, tick=False):
        survey = _open(acme)
    assert survey.anonymous
    with time_machine.travel(START + timedelta(days=2, hours=5, minutes=7), tick=False):
        _answer(acme, acme.partner_admin, survey, [5, 5, 4], 9, "Keep it up")
    with tenant_context(acme.tenant):
        answer = PsatResponse.objects.get()
        assert answer.partner_id is None and answer.user_id is None
        assert (answer.tier_id, answer.region) == (program["gold"].pk, "EMEA")
        local = timezone.localtime(answer.submitted_at)
        assert (local.hour, local.minute, local.second) == (0, 0, 0)  # the day only
        invitation = PsatInvitation.objects.get(user=acme.partner_admin)
        assert invitation.responded_at == survey.opened_at  # answered, not when
        # Its partner has no named score (anonymous answers feed no partner's figures).
        assert psat.latest_scores([acme.partner.pk]) == {}


def test_an_answer_is_given_once_while_open_by_those_asked(program, acme, globex):
    survey = _open(acme)
    with pytest.raises(ValidationError, match="from 1 to 5"):
        _answer(acme, acme.partner_admin, survey, [6, 4, 3], 9)
    with pytest.raises(ValidationError, match="1 to 5"):
        _answer(acme, acme.partner_admin, survey, [4, 4], 9)
    with pytest.raises(ValidationError, match="0 to 10"):
        _answer(acme, acme.partner_admin, survey, [4, 4, 4], 11)
    _answer(acme, acme.partner_admin, survey, [4, 4, 4], 9)
    with pytest.raises(ValidationError, match="already answered"):
        _answer(acme, acme.partner_admin, survey, [4, 4, 4], 9)
    with pytest.raises(ValidationError, match="Only partner users"):
        _answer(acme, acme.manager, survey, [4, 4, 4], 9)
    with tenant_context(acme.tenant):
        psat.survey_close(actor=acme.actor(acme.admin), survey=survey)
    with pytest.raises(ValidationError, match="closed"):
        _answer(acme, acme.partner_sales, survey, [4, 4, 4], 9)
    with tenant_context(acme.tenant):
        assert PsatResponse.objects.count() == 1
        with pytest.raises(ValidationError, match="not asked|Only partner users"):
            # Another tenant's partner user was never asked.
            psat.survey_answer(
                actor=globex.actor(globex.partner_admin), survey=survey, scores=[4, 4, 4],
                recommend=9,
            )  # fmt: skip


def test_only_one_survey_is_open_and_only_program_admins_start_one(program, acme):
    _open(acme)
    with pytest.raises(ValidationError, match="already open"):
        _open(acme)
    with tenant_context(acme.tenant), pytest.raises(Exception, match="does not allow"):
        psat.survey_open(actor=acme.actor(acme.executive))


def test_the_schedule_opens_reminds_and_closes(program, acme):
    with tenant_context(acme.tenant):
        AnalyticsSettings.objects.update(psat_every_months=6, psat_reminder_days=7)

    def cycle(moment):
        with time_machine.travel(moment, tick=False), tenant_context(acme.tenant):
            return psat.survey_cycle()

    def mails():
        with tenant_context(acme.tenant):
            return OutboundEmail.objects.filter(kind="analytics.psat_invite").count()

    assert cycle(START) == {"closed": 0, "reminded": 0, "opened": 1}
    assert mails() == 5  # every active partner user, once
    assert cycle(START + timedelta(hours=3))["opened"] == 0  # idempotent the same day
    with tenant_context(acme.tenant):
        survey = PsatSurvey.objects.get()
    with time_machine.travel(START + timedelta(days=1), tick=False):
        _answer(acme, acme.partner_admin, survey, [4, 4, 4], 9)
    assert cycle(START + timedelta(days=6))["reminded"] == 0
    assert cycle(START + timedelta(days=7))["reminded"] == 4  # not the one who answered
    assert mails() == 9
    assert cycle(START + timedelta(days=8))["reminded"] == 0
    assert cycle(START + timedelta(days=14))["reminded"] == 4
    assert cycle(START + timedelta(days=20))["reminded"] == 0  # two reminders at most
    assert mails() == 13
    with tenant_context(acme.tenant):
        reminded = OutboundEmail.objects.filter(
            kind="analytics.psat_invite", recipient_email=acme.partner_admin.email
        )
        assert reminded.count() == 1  # the invitation only
    assert cycle(START + timedelta(days=21))["closed"] == 1
    with tenant_context(acme.tenant):
        survey.refresh_from_db()
        assert survey.status == "closed"
    assert cycle(START + timedelta(days=60))["opened"] == 0  # the next is due in 6 months
    assert cycle(START + timedelta(days=184))["opened"] == 1


def test_latest_scores_read_the_latest_named_answer(program, acme):
    with time_machine.travel(START, tick=False):
        first = _open(acme)
        _answer(acme, acme.partner_admin, first, [2, 2, 2], 3)
        with tenant_context(acme.tenant):
            psat.survey_close(actor=SYSTEM, survey=first)
    with time_machine.travel(START + timedelta(days=200), tick=False):
        second = _open(acme)
        _answer(acme, acme.partner_admin, second, [5, 4, 4], 9)
        _answer(acme, acme.partner_sales, second, [4, 4, 4], 9)
    with tenant_context(acme.tenant):
        # 25 / 6 = 4.17 → 4.2; Partner Two never answered.
        assert psat.latest_scores([acme.partner.pk, acme.other_partner.pk]) == {
            acme.partner.pk: D("4.2")
        }


# --- Pages -----------------------------------------------------------------------------------


def test_the_results_page_shows_the_figures_and_the_csv_agrees(program, acme):
    survey = _reference(acme)
    client = acme.client(acme.executive)
    response = client.get(reverse(URL))
    assert response.status_code == 200
    html = response.content.decode()
    assert "H1 survey" in html and "60.0 %" in html and "Great portal" in html
    assert 'data-metric="psat_score"' in html and "3.1" in html
    csv = client.get(reverse(URL), {"survey": survey.uuid, "table": "tier", "format": "csv"})
    body = b"".join(csv.streaming_content).decode()
    assert "Gold,3.7,50,50.0,2" in body and "Silver,2.0,-100,100.0,1" in body
    questions = client.get(reverse(URL), {"table": "questions", "format": "csv"})
    assert "Training useful?,3.3" in b"".join(questions.streaming_content).decode()
    comments = client.get(reverse(URL), {"table": "comments", "format": "csv"})
    assert "Slow approvals" in b"".join(comments.streaming_content).decode()


def test_a_manager_reads_their_partners_answers_only(program, acme):
    _reference(acme)
    response = acme.client(acme.manager).get(reverse(URL))
    assert response.status_code == 200
    html = response.content.decode()
    # Partner One's two answers: 22 / 6 = 3.7; Partner Two's comment is not theirs.
    assert "Great portal" in html and "Slow approvals" not in html
    assert "The answers of the partners you manage." in html
    with tenant_context(acme.tenant):
        mine = psat.sums(acme.actor(acme.manager), list(PsatSurvey.objects.all()))[None]
    assert _figures(mine)["psat_score"] == D("3.7") and _figures(mine)["responses"] == 2


def test_who_may_open_the_results_and_start_a_survey(program, acme, globex):
    _reference(acme)
    for user in (acme.admin, acme.executive, acme.manager):
        assert acme.client(user).get(reverse(URL)).status_code == 200
    assert acme.client(acme.partner_admin).get(reverse(URL)).status_code in (403, 404)
    assert acme.client(acme.sales).get(reverse(URL)).status_code == 403
    # Another tenant sees none of it.
    html = globex.client(globex.executive).get(reverse(URL)).content.decode()
    assert "H1 survey" not in html and "No survey has been sent yet" in html
    # Only program admins start or close one (and the executive's POST changes nothing).
    assert acme.client(acme.executive).post(reverse(URL), {"action": "open"}).status_code == 403
    with tenant_context(acme.tenant):
        survey = PsatSurvey.objects.get()
    admin = acme.client(acme.admin)
    page = admin.get(reverse(URL)).content.decode()
    assert "Close the survey" in page and "data-confirm" in page
    assert admin.post(reverse(URL), {"action": "close", "survey": survey.uuid}).status_code == 302
    response = admin.post(reverse(URL), {"action": "open", "title": "Q3 pulse"}, follow=True)
    assert "5 partner users were asked" in response.content.decode()
    again = admin.post(reverse(URL), {"action": "open"}, follow=True).content.decode()
    assert "already open" in again
    assert admin.post(reverse(URL), {"action": "close", "survey": "nope"}).status_code == 404
    # Another tenant's program admin cannot close acme's survey, even knowing its id.
    with tenant_context(acme.tenant):
        open_now = PsatSurvey.objects.get(status="open")
    refused = globex.client(globex.admin).post(
        reverse(URL), {"action": "close", "survey": open_now.uuid}
    )
    assert refused.status_code == 404
    with tenant_context(acme.tenant):
        open_now.refresh_from_db()
        assert open_now.status == "open"


def test_anonymous_breakdowns_hide_small_groups(program, acme):
    with tenant_context(acme.tenant):
        AnalyticsSettings.objects.update(psat_anonymous=True)
    survey = _open(acme)
    _answer(acme, acme.other_partner_admin, survey, [1, 1, 1], 0, "Only one in Silver")
    html = acme.client(acme.executive).get(reverse(URL), {"tier": program["silver"].pk})
    text = html.content.decode()
    assert "hidden to keep answers anonymous" in text and "Only one in Silver" not in text


def test_the_page_reads_a_fixed_number_of_queries(program, acme):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from partners.tests.factories import PartnerOrganizationFactory
    from tenancy.roles import Role
    from tenancy.tests.factories import MembershipFactory, UserFactory

    first = _reference(acme)
    with tenant_context(acme.tenant):
        psat.survey_close(actor=SYSTEM, survey=first)
        big = PartnerOrganizationFactory(tenant=acme.tenant, state=LifecycleState.ACTIVE)
        users = [UserFactory() for _ in range(8)]
        for user in users:
            MembershipFactory(
                tenant=acme.tenant, user=user, role=Role.PARTNER_SALES, partner_organization=big
            )
    second = _open(acme)
    _answer(acme, acme.partner_admin, second, [3, 3, 3], 7, "one")
    client = acme.client(acme.executive)
    client.get(reverse(URL))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse(URL), {"survey": second.uuid})
    for user in users:  # many more answers and comments: the same number of queries
        _answer(acme, user, second, [3, 4, 5], 7, "more")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse(URL), {"survey": second.uuid})
    assert len(many) == len(few)


def test_a_partner_user_answers_in_the_portal(program, acme):
    survey = _open(acme, title="Autumn survey")
    client = acme.client(acme.partner_admin)
    home = client.get(reverse("portal_home")).content.decode()
    assert "Autumn survey" in home and reverse("portal_survey") in home
    page = client.get(reverse("portal_survey"))
    assert page.status_code == 200 and QUESTIONS[1] in page.content.decode()
    bad = client.post(reverse("portal_survey"), {"q0": "4", "q1": "9", "recommend": "8"})
    assert bad.status_code == 400
    with tenant_context(acme.tenant):
        assert not PsatResponse.objects.exists()
    good = {"q0": "4", "q1": "5", "q2": "3", "recommend": "9", "comment": "Thanks"}
    response = client.post(reverse("portal_survey"), good)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        answer = PsatResponse.objects.get()
        assert (answer.scores, answer.recommend, answer.partner_id) == (
            [4, 5, 3], 9, acme.partner.pk,
        )  # fmt: skip
    assert "No survey is waiting" in client.get(reverse("portal_survey")).content.decode()
    assert "Autumn survey" not in client.get(reverse("portal_home")).content.decode()
    # Vendor staff have no survey to answer in the portal.
    assert survey.status == "open"


def test_beat_runs_each_tenants_schedule(program, acme, settings):
    from analytics.tasks import psat_cycle_all_tenants

    entry = settings.CELERY_BEAT_SCHEDULE["analytics-psat"]
    assert entry["task"] == "analytics.tasks.psat_cycle_all_tenants"
    with tenant_context(acme.tenant):
        AnalyticsSettings.objects.update(psat_every_months=6)
    assert psat_cycle_all_tenants() >= 1
    with tenant_context(acme.tenant):
        assert PsatSurvey.objects.filter(status="open").count() == 1
        assert PsatInvitation.objects.count() == 5


def test_a_score_is_read_as_it_was_known_then(program, acme):
    """The churn model's training snapshots read the score of a survey opened before them,
    never a later one."""
    with time_machine.travel(START, tick=False):
        first = _open(acme)
        _answer(acme, acme.partner_admin, first, [2, 2, 2], 3)
        with tenant_context(acme.tenant):
            psat.survey_close(actor=SYSTEM, survey=first)
    with time_machine.travel(START + timedelta(days=200), tick=False):
        second = _open(acme)
        _answer(acme, acme.partner_admin, second, [5, 5, 4], 9)
    with tenant_context(acme.tenant):
        history = psat.score_history([acme.partner.pk])[acme.partner.pk]
    assert [score for _opened, score in history] == [D("2.0"), D("4.7")]
    assert psat.score_before(history, START) is None
    assert psat.score_before(history, START + timedelta(days=100)) == D("2.0")
    assert psat.score_before(history, START + timedelta(days=300)) == D("4.7")
