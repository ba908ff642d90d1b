"""The analytics demo: measurement costs set, touches beyond the registering partner, and the
dashboard opening on computed figures (revenue, sourced and influenced, ROPI) for the executive."""

from __future__ import annotations

import pytest

from analytics import metrics
from analytics.dashboard import parse_filters
from analytics.models import BoardReport, DealTouch, PartnerMonth, RefreshStatus, RollupState
from analytics.settings import analytics_settings
from prm.demo import seed_demo
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import Membership, Tenant
from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_demo_opens_the_dashboard_on_figures():
    seed_demo()
    seed_demo()  # idempotent
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        assert analytics_settings().manager_monthly_cost > 0
        assert DealTouch.objects.count() == 3
        assert {t.kind for t in DealTouch.objects.all()} == {"referral", "co_sell", "influence"}
        assert RollupState.objects.get().status == RefreshStatus.DONE
        assert PartnerMonth.objects.exists()
        report = BoardReport.objects.get()
        assert report.status == "ready" and report.pages >= 4
        assert report.requested_by.memberships.get().role == Role.EXECUTIVE
        executive = Membership.objects.filter(role=Role.EXECUTIVE).first().user
        from django.utils import timezone

        f, _key, _chosen = parse_filters({"period": "L12"}, timezone.now().date())
        totals = metrics.figures(actor_for_user(executive, acme), f)[None]
        assert metrics.METRICS["revenue"].of(totals) > 0
        assert metrics.METRICS["sourced"].of(totals) > 0
        assert metrics.METRICS["influenced"].of(totals) > 0
        assert metrics.METRICS["ropi"].of(totals) is not None


def test_demo_has_surveys_and_customer_value():
    from analytics import cltv, psat
    from analytics.models import DirectRevenue, PsatResponse, PsatSurvey

    seed_demo()
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        surveys = list(PsatSurvey.objects.order_by("opened_at"))
        assert [s.anonymous for s in surveys] == [False, True]
        assert all(s.status == "closed" for s in surveys)
        assert PsatResponse.objects.filter(survey=surveys[0], partner__isnull=False).exists()
        assert PsatResponse.objects.exclude(comment="").exists()
        executive = actor_for_user(
            Membership.objects.filter(role=Role.EXECUTIVE).first().user, acme
        )
        figures = psat.sums(executive, surveys[-1:])[None]
        assert psat.SURVEY_METRICS["psat_score"].of(figures) is not None
        assert DirectRevenue.objects.exists()
        from django.utils import timezone

        f, _key, _chosen = parse_filters({"period": "L12"}, timezone.now().date())
        value = cltv.sums(executive, f)
        for channel in ("channel", "direct"):
            assert cltv.VALUE_METRICS["cltv"].of(value[channel]) is not None
            assert cltv.VALUE_METRICS["cac"].of(value[channel]) is not None
