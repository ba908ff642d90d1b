"""The analytics API: the same figures as the pages (one definition each), for those the pages
allow — owners, members of another role, outsiders — with JSON errors."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import dashboard as composer
from analytics.metrics import METRICS
from tenancy import services as tenancy_services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
KPIS = "/api/v1/analytics-kpis/"
BREAKDOWN = "/api/v1/analytics-breakdown/"
SCORECARD = "/api/v1/analytics-scorecard/"
PSAT = "/api/v1/analytics-psat/"
VALUE = "/api/v1/analytics-customer-value/"
PERIOD = {"period": "2026-Q4", "model": "linear"}


def test_kpis_are_the_dashboards_figures(data, acme):
    body = acme.api(acme.executive).get(KPIS, PERIOD).json()
    assert body["period"] == "2026-Q4" and body["model"] == "linear"
    with tenant_context(acme.tenant):
        f, _key, _chosen = composer.parse_filters(PERIOD, timezone.now().date())
        tiles = composer.tiles_for(acme.actor(acme.executive), f, tuple(METRICS))
    api = {fig["key"]: fig for fig in body["figures"]}
    assert set(api) == set(METRICS)
    for tile in tiles:
        value = api[tile.metric.key]["value"]
        assert value == (None if tile.value is None else str(tile.value)), tile.metric.key
    assert api["revenue"]["definition"] == str(METRICS["revenue"].definition)


def test_breakdowns_match_the_csv_tables(data, acme):
    client = acme.api(acme.executive)
    body = client.get(BREAKDOWN, {**PERIOD, "by": "tiers"}).json()
    labels = {row["label"] for row in body["rows"]}
    assert {"Gold", "Silver"} <= labels
    csv = acme.client(acme.executive).get(
        "/console/analytics/", {**PERIOD, "table": "tiers", "format": "csv"}
    )
    text = b"".join(csv.streaming_content).decode()
    for row in body["rows"]:
        assert row["label"] in text and row["figures"]["revenue"] in text
    bad = client.get(BREAKDOWN, {"by": "planets"})
    assert bad.status_code == 400 and "by" in bad.json()


def test_a_manager_reads_their_partners_only(data, acme):
    body = acme.api(acme.manager).get(BREAKDOWN, {**PERIOD, "by": "partners"}).json()
    names = {row["label"] for row in body["rows"]}
    assert "Partner Three" not in names  # not theirs (no manager)
    assert names <= {acme.partner.name, acme.other_partner.name}


def test_who_may_call_what(data, acme, globex):
    for path in (KPIS, BREAKDOWN + "?by=tiers", PSAT, VALUE):
        # Partner users and outsiders are refused, with a JSON body.
        response = acme.api(acme.partner_admin).get(path)
        assert response.status_code in (403, 404) and response.json()
        assert APIClient(HTTP_HOST=acme.host()).get(path).status_code in (401, 403)
        assert acme.api(acme.sales).get(path).status_code == 403  # direct sales: no KPIs
    # Customer value is program-wide: not a channel manager's.
    assert acme.api(acme.manager).get(VALUE).status_code == 403
    assert acme.api(acme.executive).get(VALUE, PERIOD).status_code == 200
    # The scorecard is a partner's own; vendor staff have none.
    assert acme.api(acme.executive).get(SCORECARD).status_code == 403
    # Another tenant's executive reads its own (empty) figures, never acme's.
    body = globex.api(globex.executive).get(KPIS, PERIOD).json()
    money = [fig["value"] for fig in body["figures"] if fig["unit"] == "money"]
    assert money and all(value in (None, "0.00") for value in money)


def test_the_scorecard_is_the_partners_own_with_a_partner_key(data, acme):
    with tenant_context(acme.tenant):
        _key, plaintext = tenancy_services.api_key_create(
            actor=actor_for_user(acme.partner_admin, acme.tenant), name="BI", role="partner_sales"
        )
    client = APIClient(HTTP_HOST=acme.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    body = client.get(SCORECARD).json()
    assert body["partner"] == str(acme.partner.uuid)
    with tenant_context(acme.tenant):
        from analytics.home import scorecard

        card = scorecard(acme.actor(acme.partner_admin))
    expected = {t.metric.key: t.value for t in card["tiles"]}
    for fig in body["figures"]:
        want = expected[fig["key"]]
        assert fig["value"] == (None if want is None else str(want))
    # A partner key reads no vendor figures.
    assert client.get(KPIS).status_code == 403


def test_psat_figures_through_the_api(acme):
    from analytics import psat
    from analytics.models import AnalyticsSettings
    from partners.models import LifecycleState

    with tenant_context(acme.tenant):
        for partner in (acme.partner, acme.other_partner):
            partner.state = LifecycleState.ACTIVE
            partner.save()
        AnalyticsSettings.objects.update_or_create(
            defaults={"psat_questions": ["Q1", "Q2"], "psat_anonymous": False}
        )
        survey = psat.survey_open(actor=acme.actor(acme.admin))
        psat.survey_answer(actor=acme.actor(acme.partner_admin), survey=survey, scores=[5, 4],
                           recommend=10)  # fmt: skip
    assert acme.api(acme.executive).get(PSAT, {"survey": "not-a-uuid"}).status_code == 404
    body = acme.api(acme.executive).get(PSAT).json()
    figures = {fig["key"]: fig["value"] for fig in body["figures"]}
    # 9 points / 2 answers = 4.5; NPS +100; 1 of 5 asked = 20.0 %.
    assert figures == {"psat_score": "4.5", "nps": "100", "response_rate": "20.0",
                       "responses": "1"}  # fmt: skip
    assert body["questions"] == [
        {"question": "Q1", "average": "5.0"},
        {"question": "Q2", "average": "4.0"},
    ]


def test_churn_scores_through_the_api(data, acme):
    from analytics import churn

    with tenant_context(acme.tenant):
        churn.churn_train()
        scores = list(churn.scores_for(acme.actor(acme.executive)))
    body = acme.api(acme.executive).get("/api/v1/analytics-churn/").json()
    rows = body["results"]
    assert [r["partner"] for r in rows] == [str(s.partner.uuid) for s in scores]
    assert all(r["method"] == "rules" and isinstance(r["reasons"], list) for r in rows)
    assert rows[0]["score"] == scores[0].score and rows[0]["band_label"].endswith("risk")
    # A channel manager reads their partners only; bad filters are a 400 with a JSON body.
    mine = acme.api(acme.manager).get("/api/v1/analytics-churn/").json()["results"]
    assert {r["partner_name"] for r in mine} <= {acme.partner.name, acme.other_partner.name}
    bad = acme.api(acme.executive).get("/api/v1/analytics-churn/", {"band": "purple"})
    assert bad.status_code == 400 and "band" in bad.json()
    assert acme.api(acme.partner_admin).get("/api/v1/analytics-churn/").status_code == 403
