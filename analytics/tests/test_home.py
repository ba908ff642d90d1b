"""Home pages: a channel manager sees their partners' health (figures, registrations awaiting
them, tier moves, expiring certifications) and not another manager's; a partner sees its own
scorecard and its tier's median only when the tier has enough partners — never another
partner's figures."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics import rollups
from analytics.home import this_quarter, tier_medians
from dealreg.models import DealRegistration, DealStatus
from partners.models import LifecycleState, RevenueRecord, Tier
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context

from . import reference

pytestmark = pytest.mark.django_db


def _gold_peers(acme, amounts):
    """More Gold partners with revenue this quarter (another manager's), then a full refresh."""
    with time_machine.travel(reference.TODAY, tick=False), tenant_context(acme.tenant):
        gold = Tier.objects.get(name="Gold")
        for index, amount in enumerate(amounts):
            peer = PartnerOrganizationFactory(
                tenant=acme.tenant,
                name=f"Gold peer {index} at {amount}",
                tier=gold,
                state=LifecycleState.ACTIVE,
                created_at=reference.at(date(2026, 1, 1)),
            )
            RevenueRecord.objects.create(
                partner=peer,
                kind="sourced",
                customer=f"Peer customer {index}",
                amount=Decimal(amount),
                currency="USD",
                booked_on=date(2026, 10, 20),
            )
        rollups.refresh(full=True)


def test_a_manager_home_shows_their_partners_health(data, acme):
    with tenant_context(acme.tenant):
        pending = DealRegistration.objects.get(status=DealStatus.SUBMITTED)
    html = acme.client(acme.manager).get(reverse("console_home")).content.decode()
    assert 'id="partner-health"' in html
    # Partners one and two are theirs: 12,000 + 5,000 this quarter (linear); three is not.
    assert "17,000.00 USD" in html
    assert reverse("console_deal_detail", args=[pending.uuid]) in html
    assert "Registrations awaiting you" in html and "Certifications expiring in 60 days" in html


def test_the_manager_home_lists_show_what_each_row_says_in_one_query_a_list(data, acme):
    """Awaiting registrations, tier moves and expiring certifications show their partner,
    tiers, person and dates; the rows' columns come with each list (no query per row)."""
    from enablement.certs.models import CertificationAward
    from partners.models import TierChange, TierProposal

    client = acme.client(acme.manager)
    client.get(reverse("console_home"))
    with CaptureQueriesContext(connection) as before:
        client.get(reverse("console_home"))
    with time_machine.travel(reference.TODAY, tick=False), tenant_context(acme.tenant):
        one = data["one"]
        gold, silver = Tier.objects.get(name="Gold"), Tier.objects.get(name="Silver")
        for partner in (one, data["two"]):  # one pending proposal a partner
            TierProposal.objects.create(partner=partner, from_tier=silver, to_tier=gold)
        for n in range(3):
            TierChange.objects.create(
                partner=one,
                from_tier=gold,
                to_tier=silver,
                by_label="Rules",
                changed_at=reference.TODAY - timedelta(days=5 + n),
            )
        award = CertificationAward.objects.filter(partner=one, revoked_at=None).select_related(
            "user", "certification"
        )[0]
        award.expires_at = reference.TODAY + timedelta(days=20)
        award.save(update_fields=["expires_at"])
    with CaptureQueriesContext(connection) as after:
        html = client.get(reverse("console_home")).content.decode()
    assert len(after) == len(before)
    expiring = html[html.index('id="health-expiring"') :]
    assert award.certification.name in expiring and one.name in expiring
    assert (award.user.full_name or award.user.email) in expiring
    moves = html[html.index('id="health-tiers"') : html.index('id="health-expiring"')]
    assert moves.count("Silver → Gold") == 2 and moves.count("Gold → Silver") == 3
    assert one.name in moves and reverse("console_partner_detail", args=[one.uuid]) in moves
    awaiting = html[html.index('id="health-awaiting"') : html.index('id="health-tiers"')]
    assert one.name in awaiting or data["two"].name in awaiting


def test_the_manager_home_shows_nothing_of_another_managers_partners(data, acme):
    _gold_peers(acme, ["1000", "30000"])
    html = acme.client(acme.manager).get(reverse("console_home")).content.decode()
    assert "Gold peer" not in html
    assert "17,000.00 USD" in html  # unchanged by others' revenue


def test_marketing_and_sales_homes_have_no_health_panel(data, acme):
    for user in (acme.marketing, acme.sales):
        html = acme.client(user).get(reverse("console_home")).content.decode()
        assert 'id="partner-health"' not in html


def test_the_scorecard_shows_the_partners_own_figures_without_a_median_for_a_small_tier(data, acme):
    html = acme.client(acme.partner_admin).get(reverse("portal_home")).content.decode()
    assert 'id="scorecard"' in html
    assert "12,000.00 USD" in html  # partner one's own revenue this quarter (linear)
    assert "tier-median" not in html
    assert "appears once it has at least 3 partners" in html
    for other in (data["two"].name, "Partner Three", "5,000.00 USD"):
        assert other not in html


def test_the_scorecard_shows_the_tier_median_once_the_tier_has_three_partners(data, acme):
    _gold_peers(acme, ["1000", "30000"])
    html = acme.client(acme.partner_admin).get(reverse("portal_home")).content.decode()
    # Gold revenue this quarter: 1,000, 12,000 and 30,000: the median is 12,000.
    assert (
        "Your tier&#x27;s median: 12,000.00 USD" in html
        or "Your tier's median: 12,000.00 USD" in html
    )
    assert "Gold peer" not in html and "30,000.00" not in html and "1,000.00 USD" not in html


def test_the_tier_median_is_kept_until_the_next_refresh_changes_the_figures(data, acme):
    """The medians are kept with the figures they come from: read again without the peers'
    sums until a refresh changes a row, then computed anew."""
    _gold_peers(acme, ["1000", "30000"])
    with tenant_context(acme.tenant):
        f, _key = this_quarter()
        gold = Tier.objects.get(name="Gold")
        assert tier_medians(gold.pk, f, ["revenue"]) == {"revenue": Decimal("12000.00")}
        with mock.patch("analytics.home.figures", side_effect=AssertionError("recomputed")):
            assert tier_medians(gold.pk, f, ["revenue"]) == {"revenue": Decimal("12000.00")}
    _gold_peers(acme, ["50000", "60000"])  # 1,000, 12,000, 30,000, 50,000, 60,000
    with tenant_context(acme.tenant):
        assert tier_medians(gold.pk, f, ["revenue"]) == {"revenue": Decimal("30000.00")}


def test_tier_median_rounds_half_up(data, acme):
    _gold_peers(acme, ["1000.01", "1000.02", "30000"])  # four partners: the middle two averaged
    with tenant_context(acme.tenant):
        f, _key = this_quarter()
        gold = Tier.objects.get(name="Gold")
        medians = tier_medians(gold.pk, f, ["revenue"])
    # (1,000.02 + 12,000.00) / 2 = 6,500.01
    assert medians["revenue"] == Decimal("6500.01")


def test_home_pages_do_a_fixed_number_of_queries(data, acme):
    manager, partner = acme.client(acme.manager), acme.client(acme.partner_admin)
    from django.core.cache import cache

    def cold():  # the figures computed, not read from the cache (as after a refresh)
        cache.clear()
        acme.warm_host_cache()

    manager.get(reverse("console_home"))
    partner.get(reverse("portal_home"))
    cold()
    with CaptureQueriesContext(connection) as manager_small:
        manager.get(reverse("console_home"))
    cold()
    with CaptureQueriesContext(connection) as partner_small:
        partner.get(reverse("portal_home"))
    with time_machine.travel(reference.TODAY, tick=False), tenant_context(acme.tenant):
        for n in range(4):
            DealRegistration.objects.create(
                partner=data["one"],
                customer_name=f"Extra {n}",
                region="EMEA",
                estimated_value=Decimal("7000"),
                currency="USD",
                expected_close_date=date(2027, 1, 31),
                status=DealStatus.SUBMITTED,
                submitted_at=reference.at(date(2026, 12, 1)) + timedelta(hours=n),
            )
    _gold_peers(acme, ["10", "20", "30"])
    cold()
    with CaptureQueriesContext(connection) as manager_large:
        manager.get(reverse("console_home"))
    cold()
    with CaptureQueriesContext(connection) as partner_large:
        partner.get(reverse("portal_home"))
    assert len(manager_large) == len(manager_small)
    assert len(partner_large) == len(partner_small)
