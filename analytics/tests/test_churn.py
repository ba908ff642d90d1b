"""Churn risk: on a synthetic history where disengaging partners leave, the model ranks them above
engaged ones and says why in words; a small tenant gets the labelled rule-based score; the page
(owner / member / outsider, CSV, fixed query count), "Retrain now", the manager home's block,
the weekly mail (once per manager and week, their partners only) and the schedule."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from analytics import churn
from analytics.models import ChurnBand, ChurnMethod, ChurnModel, ChurnScore, PartnerMonth
from analytics.rollups import add_months, month_of
from partners.models import LifecycleEvent, LifecycleState, PartnerOrganization
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.now().date()
TODAY_AT = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
CURRENT = month_of(TODAY)
CHURN_REASON_WORDS = (
    "portal logins",
    "deal registrations",
    "Registrations down",
    "training",
    "certified people",
    "MDF",
    "revenue",
    "Revenue",
    "satisfaction",
)


def _at(month: date) -> datetime:
    return datetime(month.year, month.month, 10, tzinfo=UTC)


def _partner(world, name: str, *, manager=None, months_ago: int = 40, region: str = "EMEA"):
    partner = PartnerOrganizationFactory(
        tenant=world.tenant,
        name=name,
        state=LifecycleState.ACTIVE,
        channel_manager=manager,
        regions=[region],
    )
    started = _at(add_months(CURRENT, -months_ago))
    PartnerOrganization.objects.filter(pk=partner.pk).update(created_at=started)
    LifecycleEvent.objects.create(
        partner=partner,
        from_state=LifecycleState.CONTRACTED,
        to_state=LifecycleState.ACTIVE,
        by_label="test",
        created_at=started,
    )
    return partner


def _leave(partner, month: date) -> None:
    LifecycleEvent.objects.create(
        partner=partner,
        from_state=LifecycleState.ACTIVE,
        to_state=LifecycleState.SUSPENDED,
        reason="No activity for months.",
        by_label="test",
        created_at=_at(month),
    )
    PartnerOrganization.objects.filter(pk=partner.pk).update(
        state=LifecycleState.SUSPENDED, is_active=False, state_changed_at=_at(month)
    )


def _months(partner, tenant, activity, rng) -> list[PartnerMonth]:
    """36 months of rollup rows; `activity(i)` scales the partner's level at month index i
    (0 = 36 months ago, 35 = last month); 0 writes no row (a month with nothing)."""
    level = rng.uniform(0.6, 1.6)
    rows = []
    for i in range(36):
        factor = activity(i)
        if factor <= 0:
            continue
        month = add_months(CURRENT, i - 36)

        def noisy(base, factor=factor):
            return max(0, round(base * level * factor * rng.uniform(0.6, 1.4)))

        rows.append(
            PartnerMonth(
                tenant=tenant,
                partner=partner,
                month=month,
                logins=noisy(14),
                registrations=noisy(2.5),
                won=noisy(1),
                revenue=Decimal(noisy(9000)),
                mdf_requests=noisy(0.6),
                mdf_paid=Decimal(noisy(1500)),
                training_seconds=noisy(4 * 3600),
                course_completions=noisy(1),
                certified_people=max(1, round(3 * level)) if factor >= 0.5 else 0,
                tier_id=partner.tier_id,
                region="EMEA",
            )
        )
    return rows


def _decline(exit_index: int, length: int = 8):
    """Normal, then fading to nothing over `length` months before leaving at `exit_index`."""

    def activity(i: int) -> float:
        if i >= exit_index:
            return 0
        before = exit_index - i
        return 1.0 if before > length else (before - 1) / length

    return activity


@pytest.fixture
def history(acme):
    """A program with 3 years of history: 30 engaged partners, 12 that faded out and left, and
    4 active partners fading out right now (the ones to flag)."""
    rng = random.Random(20261206)
    names = {"engaged": [], "left": [], "fading": []}
    rows = []
    second_manager = UserFactory(email="second-manager@acme.test")
    MembershipFactory(tenant=acme.tenant, user=second_manager, role=Role.CHANNEL_MANAGER)
    with tenant_context(acme.tenant):
        for n in range(30):
            manager = acme.manager if n % 2 == 0 else second_manager
            p = _partner(acme, f"Engaged {n:02d}", manager=manager)
            # An engaged partner has a quiet month now and then.
            quiet = set(rng.sample(range(36), 3))
            rows += _months(p, acme.tenant, lambda i, q=quiet: 0.3 if i in q else 1.0, rng)
            names["engaged"].append(p.name)
        for n in range(12):
            p = _partner(acme, f"Left {n:02d}", manager=acme.manager)
            exit_index = 12 + n * 2  # months 12..34 of the 36
            rows += _months(p, acme.tenant, _decline(exit_index), rng)
            _leave(p, add_months(CURRENT, exit_index - 36))
            names["left"].append(p.name)
        for n in range(4):
            manager = acme.manager if n < 2 else second_manager
            p = _partner(acme, f"Fading {n}", manager=manager)
            # Two stopped at once 3 months ago, two are fading out.
            activity = (lambda i: 1.0 if i < 33 else 0) if n % 2 == 0 else _decline(36, 6)
            rows += _months(p, acme.tenant, activity, rng)
            names["fading"].append(p.name)
        PartnerMonth.objects.bulk_create(rows)
    names["second_manager"] = second_manager
    return names


def _train(world) -> ChurnModel:
    with tenant_context(world.tenant):
        return churn.churn_train(today=TODAY)


def _scores(world) -> dict[str, ChurnScore]:
    with tenant_context(world.tenant):
        return {s.partner.name: s for s in ChurnScore.objects.select_related("partner")}


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


# --- The model -----------------------------------------------------------------------------------


def test_the_model_ranks_disengaging_partners_above_engaged_ones(acme, history):
    run = _train(acme)
    assert run.method == ChurnMethod.MODEL, run.fallback_reason
    assert run.auc is not None and run.auc >= Decimal("0.8")
    assert run.churned_partners == 12
    assert run.snapshots >= churn.MIN_SNAPSHOTS and run.test_size > 0
    scores = _scores(acme)
    # Only partners still in the program are scored.
    assert set(scores) == set(history["engaged"]) | set(history["fading"])
    fading = [scores[name].score for name in history["fading"]]
    engaged = [scores[name].score for name in history["engaged"]]
    assert min(fading) > max(engaged)
    for name in history["fading"]:
        score = scores[name]
        assert score.band == ChurnBand.HIGH
        words = score.reasons_in_words
        assert 1 <= len(words) <= churn.TOP_REASONS
        for text in words:
            assert any(w in text for w in CHURN_REASON_WORDS), text
            assert "_" not in text
        # The strongest reason is the one pushing hardest.
        weights = [r["weight"] for r in score.reasons]
        assert weights == sorted(weights, reverse=True) and weights[0] > 0
    # Engaged partners rarely have anything to report; never "more of a good thing".
    for name in history["engaged"]:
        assert all(
            text.startswith(("Only", "No", "Registrations down", "Revenue down", "Low"))
            for text in scores[name].reasons_in_words
        ), scores[name].reasons_in_words
    # A partner with nothing in the last 3 months is told so in words.
    assert any(
        "No portal logins in the last 3 months" in text
        for name in history["fading"]
        for text in scores[name].reasons_in_words
    )


def test_a_nightly_rescore_uses_the_stored_model_and_gives_the_same_scores(acme, history):
    run = _train(acme)
    before = {name: s.score for name, s in _scores(acme).items()}
    with tenant_context(acme.tenant):
        assert churn.churn_score(today=TODAY) == len(before)
        assert ChurnModel.objects.count() == 1
        assert set(ChurnScore.objects.values_list("model_id", flat=True)) == {run.pk}
    assert {name: s.score for name, s in _scores(acme).items()} == before


def test_a_small_tenant_falls_back_to_the_labelled_rule_based_score(acme):
    rng = random.Random(3)
    with tenant_context(acme.tenant):
        quiet = _partner(acme, "Quiet Partner", manager=acme.manager)
        busy = _partner(acme, "Busy Partner", manager=acme.manager)
        gone = _partner(acme, "Gone Partner")
        rows = _months(busy, acme.tenant, lambda i: 1.0, rng)
        rows += _months(gone, acme.tenant, _decline(30), rng)
        PartnerMonth.objects.bulk_create(rows)
        _leave(gone, add_months(CURRENT, -6))
        run = churn.churn_train(today=TODAY)
    assert run.method == ChurnMethod.RULES
    assert run.auc is None
    assert "Not enough history" in run.fallback_reason
    scores = _scores(acme)
    # Nothing at all: every rule applies (no answer to a survey: 5 of the 15 satisfaction points).
    assert scores[quiet.name].score == 25 + 15 + 15 + 10 + 15 + 5 + 5
    assert scores[quiet.name].band == ChurnBand.HIGH
    assert scores[quiet.name].reasons_in_words == [
        "No portal logins in the last 3 months",
        "No deal registrations in the last 3 months",
        "No training in 6 months",
    ]
    assert scores[busy.name].band == ChurnBand.LOW
    page = acme.client(acme.executive).get(reverse("console_analytics_churn"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Rule-based score — not enough history to train a model" in html
    assert 'id="churn-rules"' in html and "No portal logins in the last 3 months" in html
    assert "Quality (ROC AUC" not in html


def test_a_low_satisfaction_score_is_a_rule_and_a_reason(acme, monkeypatch):
    with tenant_context(acme.tenant):
        partner = _partner(acme, "Unhappy Partner")
        rows = _months(partner, acme.tenant, lambda i: 1.0, random.Random(2))
        PartnerMonth.objects.bulk_create(rows)
        monkeypatch.setattr(
            churn, "_psat_scores", lambda ids: {partner.pk: [(TODAY_AT, Decimal("2.0"))]}
        )
        churn.churn_train(today=TODAY)
    score = _scores(acme)[partner.name]
    assert score.score == 15 and score.band == ChurnBand.LOW
    assert score.reasons_in_words == ["Low satisfaction score: 2.0 of 5 in the latest survey"]
    assert score.features["psat_score"] == 2.0 and score.features["psat_missing"] == 0


# --- The page ------------------------------------------------------------------------------------


def test_the_page_shows_the_models_quality_and_the_partners_by_risk(acme, history):
    _train(acme)
    response = acme.client(acme.executive).get(reverse("console_analytics_churn"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Model trained on the program&#x27;s own history" in html
    assert 'id="churn-auc"' in html and "12 of whom left the program" in html
    assert "Rule-based" not in html
    first = response.context["rows"][0]["score"]
    assert first.partner.name in history["fading"]
    assert "Retrain now" not in html  # executives read only


def test_executive_and_program_admin_see_every_partner(acme, history):
    _train(acme)
    for user in (acme.executive, acme.admin):
        rows = _csv(acme.client(user).get(reverse("console_analytics_churn") + "?format=csv"))
        assert len(rows) - 1 == 34


def test_a_channel_manager_sees_only_their_partners(acme, history):
    _train(acme)
    client = acme.client(acme.manager)
    response = client.get(reverse("console_analytics_churn") + "?format=csv")
    names = {row[0] for row in _csv(response)[1:]}
    with tenant_context(acme.tenant):
        mine = set(
            PartnerOrganization.objects.filter(
                channel_manager=acme.manager, state=LifecycleState.ACTIVE
            ).values_list("name", flat=True)
        )
        others = PartnerOrganization.objects.filter(channel_manager=history["second_manager"])
        other = others.first()
    assert names == mine and "Fading 2" not in names and "Fading 0" in names
    html = client.get(reverse("console_analytics_churn") + "?sort=score").content.decode()
    assert other.name not in html
    # The drill-down to another manager's partner answers 404.
    assert client.get(reverse("console_analytics_partner", args=[other.uuid])).status_code == 404


def test_partner_users_and_direct_sales_are_refused_and_other_tenants_see_nothing(
    acme, globex, history
):
    _train(acme)
    url = reverse("console_analytics_churn")
    assert acme.client(acme.partner_admin).get(url).status_code == 403
    assert acme.client(acme.sales).get(url).status_code == 403
    # Another tenant's executive: none of this tenant's partners, and their drill-down is 404.
    outsider = globex.client(globex.executive)
    response = outsider.get(url + "?format=csv")
    assert response.status_code == 200 and len(_csv(response)) == 1
    with tenant_context(acme.tenant):
        fading = PartnerOrganization.objects.get(name="Fading 0")
    assert outsider.get(reverse("console_analytics_partner", args=[fading.uuid])).status_code == 404


def test_filters_narrow_the_list(acme, history):
    _train(acme)
    client = acme.client(acme.executive)
    high = client.get(reverse("console_analytics_churn") + "?band=high")
    assert {r["score"].band for r in high.context["rows"]} == {ChurnBand.HIGH}
    assert client.get(reverse("console_analytics_churn") + "?region=NA").context["rows"] == []
    bad = client.get(reverse("console_analytics_churn") + "?band=nonsense")
    assert bad.status_code == 200 and bad.context["rows"] == []


def test_the_csv_matches_the_page(acme, history):
    _train(acme)
    client = acme.client(acme.executive)
    page = client.get(reverse("console_analytics_churn") + "?band=high")
    exported = _csv(client.get(reverse("console_analytics_churn") + "?band=high&format=csv"))
    assert exported[0] == ["Partner", "Risk score", "Risk", "Top reasons", "Tier", "Region"]
    shown = [
        [
            row["score"].partner.name,
            str(row["score"].score),
            "High risk",
            "; ".join(row["reasons"]),
            row["tier"],
            "Europe, Middle East & Africa",
        ]
        for row in page.context["rows"]
    ]
    assert exported[1:] == shown and shown
    html = page.content.decode()
    for row in page.context["rows"]:
        for reason in row["reasons"]:
            assert reason.replace("&", "&amp;") in html


def test_the_page_runs_a_fixed_number_of_queries(acme):
    rng = random.Random(5)
    client = acme.client(acme.executive)
    url = reverse("console_analytics_churn")

    def grow(count: int, start: int) -> int:
        with tenant_context(acme.tenant):
            rows = []
            for n in range(start, start + count):
                p = _partner(acme, f"Scale {n:03d}")
                level = 1.0 if n % 3 else 0.0
                rows += _months(p, acme.tenant, lambda i, level=level: level, rng)
            PartnerMonth.objects.bulk_create(rows)
            churn.churn_train(today=TODAY)
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = grow(3, 0)
    large = grow(40, 3)
    assert large == small


def test_a_program_admin_retrains_now_and_others_may_not(acme, history):
    url = reverse("console_analytics_churn_retrain")
    assert acme.client(acme.executive).post(url).status_code == 403
    assert acme.client(acme.manager).post(url).status_code == 403
    admin = acme.client(acme.admin)
    assert "Retrain now" in admin.get(reverse("console_analytics_churn")).content.decode()
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = admin.post(url)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        run = ChurnModel.objects.get()
        assert run.requested_by == acme.admin and run.method == ChurnMethod.MODEL
        assert ChurnScore.objects.count() == 34


# --- Manager home --------------------------------------------------------------------------------


def test_the_manager_home_lists_their_high_risk_partners_with_a_reason(acme, history):
    _train(acme)
    html = acme.client(acme.manager).get(reverse("console_home")).content.decode()
    assert "At-risk partners" in html
    assert "Fading 0" in html and "Fading 1" in html
    assert "Fading 2" not in html and "Fading 3" not in html  # the other manager's
    scores = _scores(acme)
    assert scores["Fading 0"].reasons_in_words[0] in html
    assert reverse("console_analytics_churn") in html


def test_the_manager_home_runs_a_fixed_number_of_queries(acme, history):
    _train(acme)
    client = acme.client(acme.manager)
    client.get(reverse("console_home"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("console_home"))
    with tenant_context(acme.tenant):
        ChurnScore.objects.filter(partner__channel_manager=acme.manager).update(
            score=90, band=ChurnBand.HIGH
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("console_home"))
    assert len(many) == len(few)


# --- The weekly mail -----------------------------------------------------------------------------


def test_the_weekly_mail_goes_once_per_manager_per_week_with_their_partners(acme, history):
    _train(acme)
    second = history["second_manager"]
    monday = TODAY - timedelta(days=TODAY.weekday())
    with tenant_context(acme.tenant):
        assert churn.at_risk_mail_send(today=monday) == 2
        assert churn.at_risk_mail_send(today=monday + timedelta(days=3)) == 0
        sent = OutboundEmail.objects.filter(kind="analytics.at_risk_partners")
        mails = {m.recipient_email: m for m in sent}
    assert set(mails) == {acme.manager.email, second.email}
    mine = mails[acme.manager.email].body_text
    assert "Fading 0" in mine and "Fading 1" in mine
    assert "Fading 2" not in mine and "Fading 3" not in mine
    assert _scores(acme)["Fading 0"].reasons_in_words[0] in mine
    theirs = mails[second.email].body_text
    assert "Fading 2" in theirs and "Fading 0" not in theirs
    with tenant_context(acme.tenant):
        assert churn.at_risk_mail_send(today=monday + timedelta(days=7)) == 2
        assert OutboundEmail.objects.filter(kind="analytics.at_risk_partners").count() == 4


def test_no_mail_for_a_manager_without_partners_at_risk(acme):
    with tenant_context(acme.tenant):
        p = _partner(acme, "Steady Partner", manager=acme.manager)
        PartnerMonth.objects.bulk_create(_months(p, acme.tenant, lambda i: 1.0, random.Random(1)))
        churn.churn_train(today=TODAY)
        assert churn.at_risk_mail_send(today=TODAY) == 0
        assert not OutboundEmail.objects.filter(kind="analytics.at_risk_partners").exists()


# --- Schedule ------------------------------------------------------------------------------------


def test_the_churn_tasks_are_scheduled(acme, history):
    from prm.celery import app

    schedule = settings.CELERY_BEAT_SCHEDULE
    steps = {
        entry["kwargs"]["step"]: entry["schedule"]
        for entry in schedule.values()
        if entry["task"] == "analytics.tasks.churn_all_tenants"
    }
    assert set(steps) == {"train", "score", "mail"}
    assert steps["train"].day_of_week == {1} and steps["mail"].day_of_week == {1}
    assert len(steps["score"].day_of_week) == 7
    app.loader.import_default_modules()  # what a worker does at start: every app's tasks
    assert "analytics.tasks.churn_all_tenants" in app.tasks
    # The nightly fan-out scores each tenant with partners (eager in tests).
    from analytics.tasks import churn_all_tenants

    churn_all_tenants.apply(kwargs={"step": "score"}).get()
    assert len(_scores(acme)) == 34


def test_the_demo_shows_labelled_rule_based_scores():
    from prm.demo import seed_demo
    from tenancy.models import Tenant

    seed_demo()
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        run = ChurnModel.objects.get()
        assert run.method == ChurnMethod.RULES and "Not enough history" in run.fallback_reason
        assert ChurnScore.objects.filter(band=ChurnBand.HIGH).exists()
        assert all(s.reasons_in_words for s in ChurnScore.objects.filter(band=ChurnBand.HIGH))
