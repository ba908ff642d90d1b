"""Every metric against the hand-computed reference data set (analytics/tests/reference.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest
import time_machine

from analytics import metrics, rollups
from analytics.metrics import METRICS, Filters
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from . import reference

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def data(acme):
    with time_machine.travel(reference.TODAY, tick=False):
        partners = reference.build(acme)
        reference.pay_mdf(acme)
        with tenant_context(acme.tenant):
            rollups.refresh(full=True)
        yield partners


def _values(world, user, **filters):
    with tenant_context(world.tenant):
        actor = actor_for_user(user, world.tenant)
        f = Filters(start=reference.START, end=reference.END, **filters)
        totals = metrics.figures(actor, f)[None]
        return {key: metric.of(totals) for key, metric in METRICS.items()}


@pytest.mark.parametrize(
    ("model", "sourced", "influenced", "share"),
    [
        ("first_touch", "16000.00", "3000.00", "84.2"),
        ("last_touch", "10000.00", "9000.00", "52.6"),
        ("linear", "14000.00", "5000.00", "73.7"),
        ("weighted", "15142.86", "3857.14", "79.7"),
    ],
)
def test_attribution_models_match_the_hand_computed_split(
    data, acme, model, sourced, influenced, share
):
    values = _values(acme, acme.executive, model=model)
    assert values["revenue"] == D("19000.00")
    assert values["sourced"] == D(sourced)
    assert values["influenced"] == D(influenced)
    assert values["sourced_share"] == D(share)


def test_ropi_costs_and_programme_figures(data, acme):
    values = _values(acme, acme.executive)
    assert values["cost"] == D("10050.00")
    assert values["mdf_paid"] == D("500.00")
    assert values["ropi"] == D("1.89")
    assert values["registrations"] == 3
    assert values["win_rate"] == D("33.3")
    assert values["certified_people"] == 1
    assert values["certifications_awarded"] == 2
    assert values["training_hours"] == D("2.1")
    assert values["course_completions"] == 1
    assert values["logins"] == 7


def test_ropi_of_one_partner_rounds_half_up(data, acme):
    values = _values(acme, acme.executive, partner_id=data["one"].pk)
    assert values["revenue"] == D("12000.00")
    assert values["cost"] == D("5700.00")
    assert values["ropi"] == D("2.11")  # 2.10526…


def test_weighted_credits_keep_four_decimals_per_partner(data, acme):
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.executive, acme.tenant)
        f = Filters(start=reference.START, end=reference.END, model="weighted")
        by_partner = metrics.figures(actor, f, by="partner")
    credit = {pk: values["sourced"] + values["influenced"] for pk, values in by_partner.items()}
    assert credit[data["one"].pk] == D("13428.5714")  # 10,000 + 3,428.5714
    assert credit[data["two"].pk] == D("4714.2857")  # 1,714.2857 + 3,000
    assert credit[data["three"].pk] == D("857.1429")


def test_filters_narrow_the_figures(data, acme):
    assert _values(acme, acme.executive, region="NA")["revenue"] == D("3000.00")
    assert _values(acme, acme.executive, partner_type="msp", model="last_touch")["revenue"] == D(
        "6000.00"
    )
    by_product = _values(acme, acme.executive, product="Support")
    assert by_product["revenue"] == D("3000.00")
    assert by_product["ropi"] is None  # costs are not kept by product
    assert _values(acme, acme.executive, tier_id=data["one"].tier_id)["registrations"] == 3


def test_previous_period_and_change(data, acme):
    f = Filters(start=reference.START, end=reference.END)
    previous = f.previous()
    assert (previous.start.isoformat(), previous.end.isoformat()) == ("2026-08-01", "2026-09-01")
    before = _values(acme, acme.executive, model="linear") | {}
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.executive, acme.tenant)
        earlier = METRICS["revenue"].of(metrics.figures(actor, previous)[None])
    assert earlier == D("99999.00")
    assert metrics.change(before["revenue"], earlier) == D("-81.0")  # −80.99…


def test_a_channel_manager_sees_only_their_partners(data, acme):
    values = _values(acme, acme.manager, model="linear")
    # one (12,000) and two (5,000); three is nobody's.
    assert values["revenue"] == D("17000.00")


def test_a_direct_rep_sees_nothing_and_a_partner_user_only_its_own(data, acme):
    assert _values(acme, acme.sales)["revenue"] == D("0.00")
    # Partner one's own revenue in the period (its scorecard), not the program's 19,000.
    assert _values(acme, acme.partner_admin)["revenue"] == D("12000.00")


def test_another_tenant_sees_none_of_it(data, acme, globex):
    assert _values(globex, globex.executive)["revenue"] == D("0.00")


def test_cached_figures_last_until_the_next_refresh(data, acme):
    """Program-wide answers are cached under the time of the last refresh: the next refresh
    shows the new revenue at once."""
    from datetime import date

    from analytics.metrics import METRICS, Filters, figures
    from partners.models import RevenueRecord

    f = Filters(start=date(2026, 10, 1), end=date(2026, 12, 1))
    with tenant_context(acme.tenant):
        executive = acme.actor(acme.executive)
        before = METRICS["revenue"].of(figures(executive, f)[None])
        RevenueRecord.objects.create(
            partner=acme.partner, kind="sourced", customer="Late Co", amount=1000,
            currency="USD", booked_on=date(2026, 11, 30),
        )  # fmt: skip
        assert METRICS["revenue"].of(figures(executive, f)[None]) == before  # not refreshed
        rollups.refresh()
        assert METRICS["revenue"].of(figures(executive, f)[None]) == before + 1000


def test_a_managers_cached_figures_follow_a_reassigned_partner(data, acme):
    """A channel manager's answers are cached under their partners as they are now: a partner
    moved to another manager leaves their figures at once, refresh or not."""
    from datetime import date

    from analytics.metrics import METRICS, Filters, figures

    f = Filters(start=date(2026, 10, 1), end=date(2026, 12, 1))
    with tenant_context(acme.tenant):
        manager = acme.actor(acme.manager)
        both = METRICS["revenue"].of(figures(manager, f)[None])
        two = data["two"]
        alone = METRICS["revenue"].of(
            figures(acme.actor(acme.executive), replace_partner(f, two))[None]
        )
        two.channel_manager = None
        two.save(update_fields=["channel_manager"])
        assert METRICS["revenue"].of(figures(manager, f)[None]) == both - alone


def replace_partner(f, partner):
    from dataclasses import replace

    return replace(f, partner_id=partner.pk)


def test_one_reading_asks_for_the_version_and_a_managers_partners_once(data, acme):
    """Inside `one_reading()` (every dashboard, home panel and report) all `figures()` calls
    share one read of the rollups' version and of a channel manager's partners; a reading
    started after a refresh sees it."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from analytics.metrics import METRICS, Filters, figures
    from partners.models import RevenueRecord
    from tenancy.common.reading import one_reading

    f = Filters(start=date(2026, 10, 1), end=date(2026, 12, 1))

    def asked(ctx) -> tuple[int, int]:
        sql = [q["sql"] for q in ctx.captured_queries]
        versions = sum(q.startswith('SELECT "analytics_rollupstate"."id"') for q in sql)
        partners = sum(q.startswith('SELECT "partners_partnerorganization"."id"') for q in sql)
        return versions, partners

    with tenant_context(acme.tenant):
        manager = acme.actor(acme.manager)
        for by in (None, "month", "tier", "region"):
            figures(manager, f, by=by)  # cached now
        with CaptureQueriesContext(connection) as outside:
            for by in (None, "month", "tier", "region"):
                figures(manager, f, by=by)
        with CaptureQueriesContext(connection) as inside, one_reading():
            for by in (None, "month", "tier", "region"):
                figures(manager, f, by=by)
            with one_reading():  # a reading inside a reading is the same one
                figures(manager, f.previous())
        assert asked(outside) == (4, 4)
        assert asked(inside) == (1, 1)

        with one_reading():
            before = METRICS["revenue"].of(figures(manager, f)[None])
        RevenueRecord.objects.create(
            partner=acme.partner, kind="sourced", customer="Late Co", amount=1000,
            currency="USD", booked_on=date(2026, 11, 30),
        )  # fmt: skip
        rollups.refresh()
        with one_reading():
            assert METRICS["revenue"].of(figures(manager, f)[None]) == before + 1000


def test_the_top_groups_keep_every_tie_at_the_cut(data, acme):
    """figures(top=n) keeps the groups that can rank among the first n by revenue: ties at
    the cut stay (the caller breaks them by name), and a short list is kept whole."""
    from datetime import date

    from analytics.metrics import _leaders, figures

    def sums(sourced, influenced=0):
        return {"sourced": Decimal(sourced), "influenced": Decimal(influenced)}

    groups = {1: sums(500), 2: sums(300, 100), 3: sums(400), 4: sums(100), 5: sums(0)}
    assert set(_leaders(groups, 1)) == {1}
    assert set(_leaders(groups, 2)) == {1, 2, 3}  # 2 and 3 tie at 400
    assert set(_leaders(groups, 3)) == {1, 2, 3}
    assert set(_leaders(groups, 4)) == {1, 2, 3, 4}
    assert _leaders(groups, 9) == groups

    f = Filters(start=date(2026, 1, 1), end=date(2026, 12, 1))
    with tenant_context(acme.tenant):
        executive = acme.actor(acme.executive)
        every = figures(executive, f, by="partner")
        best = max(every, key=lambda key: METRICS["revenue"].of(every[key]))
        leaders = figures(executive, f, by="partner", top=1)
        assert best in leaders and set(leaders) <= set(every)
        assert {key: every[key] for key in leaders} == leaders
