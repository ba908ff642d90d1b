"""IPP figures against hand-computed data: band percentages add up to exactly 100 (with the
unscored share), weight shares and scores round halves up."""

import pytest
from django.urls import reverse

from partners.models import IppCriterion, PartnerOrganization
from partners.selectors import ipp as selectors
from partners.services import ipp as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def scored(world, *scores):
    """Give the tenant exactly one partner per score (None = not scored)."""
    with tenant_context(world.tenant):
        PartnerOrganization.objects.all().delete()
        for score in scores:
            PartnerOrganizationFactory(tenant=world.tenant, ipp_score=score)


def distribution(world):
    with tenant_context(world.tenant):
        return selectors.score_distribution(actor_for_user(world.admin, world.tenant))


def test_three_equal_bands_add_up_to_100_not_99(acme):
    # 1 of 3 in each of the first three bands: 33.33…% each. Rounded alone: 33 + 33 + 33 = 99.
    scored(acme, 10, 30, 60)
    result = distribution(acme)
    assert [b["count"] for b in result["bands"]] == [1, 1, 1, 0]
    assert [b["percent"] for b in result["bands"]] == [34, 33, 33, 0]
    assert result["unscored_percent"] == 0


def test_bands_and_the_unscored_share_add_up_to_100(acme):
    # 7 partners: 1 + 1 + 1 scored, 4 unscored: 14.29% × 3 and 57.14%; floors 14+14+14+57 = 99,
    # the missing point goes to the largest remainder (.29 beats .14), the first band on a tie.
    scored(acme, 10, 30, 60, None, None, None, None)
    result = distribution(acme)
    assert [b["percent"] for b in result["bands"]] == [15, 14, 14, 0]
    assert result["unscored"] == 4 and result["unscored_percent"] == 57
    assert sum(b["percent"] for b in result["bands"]) + result["unscored_percent"] == 100


def test_a_half_rounds_up_when_the_total_allows(acme):
    # 8 partners: 3 in 0–24 (37.5%), 5 in 75–100 (62.5%). Both halves cannot round up (101), so
    # the earlier band gets the point whatever the parity: 38 + 62, then 63 + 37 (round() to even
    # gave 62 + 38 there).
    scored(acme, 5, 5, 5, 90, 90, 90, 90, 90)
    assert [b["percent"] for b in distribution(acme)["bands"]] == [38, 0, 0, 62]
    scored(acme, 5, 5, 5, 5, 5, 90, 90, 90)
    assert [b["percent"] for b in distribution(acme)["bands"]] == [63, 0, 0, 37]


def test_the_editor_shows_the_percentages_that_add_up(acme):
    scored(acme, 10, 30, 60, None)
    response = acme.client(acme.admin).get(reverse("console_ipp"))
    html = response.content.decode()
    # 4 partners: 25% each, unscored included.
    assert "(25%)" in html and "1 without a score (25%)" in html


def test_weight_shares_round_half_up(acme):
    # Weights 1 and 15: 6.25% and 93.75% → 6.3% and 93.8% (round() would give 6.2%).
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.admin, acme.tenant)
        for label, weight in (("Serves EMEA", 1), ("Kubernetes", 15)):
            services.criterion_create(
                actor=actor,
                group="technical",
                label=label,
                field="skills",
                operator="any_of",
                value=[label],
                weight=weight,
            )
        groups, total = selectors.criteria_by_group(actor)
    shares = {c.label: str(c.share) for g in groups for c in g.criteria}
    assert total == 16 and shares == {"Serves EMEA": "6.3", "Kubernetes": "93.8"}


def test_a_score_of_exactly_half_a_point_rounds_up(acme):
    criteria = [
        IppCriterion(label="A", field="co_marketing", operator="is_true", value=[], weight=5),
        IppCriterion(label="B", field="skills", operator="any_of", value=["Kubernetes"], weight=3),
    ]
    partner = PartnerOrganization(co_marketing=True, skills=["Networking"])
    score, _explanation = services.evaluate(criteria, partner)
    assert score == 63  # 5 of 8 = 62.5
