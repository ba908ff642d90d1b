"""The tier card says what will really happen (not evaluated, awaiting approval, snoozed after a
rejection, next scheduled evaluation), and a partner that becomes contracted or active is placed in
its tier at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from partners.models import LifecycleState, PartnerOrganization, ProposalStatus, TierProposal
from partners.selectors import tiers as selectors
from partners.services import organization as lifecycle
from partners.services import tiers as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import tenant_context

from .test_tiers_support import GOLD_REVENUE, SILVER_REVENUE, activate, add_revenue, make_ladder

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)
OLD_PROMISE = "the next evaluation will propose the upgrade"


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def card(world, partner) -> str:
    url = reverse("tier_progress_fragment", kwargs={"partner_uuid": partner.uuid})
    response = world.client(world.admin).get(url)
    assert response.status_code == 200
    return response.content.decode()


def outlook(world, partner) -> selectors.TierOutlook:
    with tenant_context(world.tenant):
        fresh = PartnerOrganization.objects.select_related("tier").get(pk=partner.pk)
        return selectors.tier_progress(fresh).outlook


def with_state(world, partner, state, *, tier=None):
    with tenant_context(world.tenant):
        partner.state = state
        partner.tier = tier
        partner.save(update_fields=["state", "tier"])


# --- When the scheduled evaluation runs ------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 5, 7, 30, tzinfo=UTC), datetime(2026, 12, 5, 12, 0, tzinfo=UTC)),
        (datetime(2026, 12, 5, 12, 0, tzinfo=UTC), datetime(2026, 12, 5, 18, 0, tzinfo=UTC)),
        (datetime(2026, 12, 5, 19, 5, tzinfo=UTC), datetime(2026, 12, 6, 0, 0, tzinfo=UTC)),
        (datetime(2026, 12, 31, 23, 59, tzinfo=UTC), datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_next_evaluation_is_the_next_scheduled_hour(now, expected):
    assert selectors.next_tier_evaluation(now) == expected


def test_next_evaluation_follows_the_one_setting(settings):
    settings.TIER_EVALUATION_HOURS_UTC = (3,)
    now = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)
    assert selectors.next_tier_evaluation(now) == datetime(2026, 12, 6, 3, 0, tzinfo=UTC)


def test_the_beat_schedule_runs_at_the_same_hours():
    from django.conf import settings

    schedule = settings.CELERY_BEAT_SCHEDULE["evaluate-tiers"]["schedule"]
    assert schedule.hour == set(settings.TIER_EVALUATION_HOURS_UTC)
    assert schedule.minute == {0}


# --- What the card says --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "words"),
    [
        (LifecycleState.PROSPECT, "a prospect has no tier yet"),
        (LifecycleState.APPROVED, "as soon as the agreement is signed"),
        (LifecycleState.SUSPENDED, "nothing changes while the partner is suspended"),
        (LifecycleState.RETIRED, "a retired partner is no longer evaluated"),
    ],
)
def test_partners_outside_the_evaluation_are_told_nothing_will_happen(acme, state, words):
    registered, silver, _gold = make_ladder(acme)
    with_state(acme, acme.partner, state, tier=registered)
    add_revenue(acme, acme.partner, str(SILVER_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW):
        html = card(acme, acme.partner)
        result = outlook(acme, acme.partner)
    assert result.kind == "not_evaluated"
    assert "Tiers are evaluated only for" in html and words in html
    assert "Next evaluation" not in html and OLD_PROMISE not in html


def test_a_pending_upgrade_is_said_to_await_approval(acme):
    _registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, str(GOLD_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW), tenant_context(acme.tenant):
        proposal = services.evaluate_partner(partner=acme.partner)
    assert proposal.to_tier == gold and proposal.status == ProposalStatus.PENDING
    with at(NOW + timedelta(hours=1)):
        html = card(acme, acme.partner)
    assert "An upgrade to Gold is awaiting approval" in html
    assert "Next evaluation" not in html and OLD_PROMISE not in html


def test_a_pending_downgrade_is_said_to_await_approval(acme):
    registered, silver, _gold = make_ladder(acme, tier_grace_period_days=0)
    activate(acme, acme.partner, tier=silver)
    with at(NOW), tenant_context(acme.tenant):
        services.evaluate_partner(partner=acme.partner)
        services.evaluate_partner(partner=acme.partner, now=NOW + timedelta(minutes=1))
    with at(NOW + timedelta(hours=1)):
        result = outlook(acme, acme.partner)
    assert result.kind == "pending"
    assert result.message.startswith("A downgrade to Registered is awaiting approval")


def test_all_requirements_met_names_the_next_run_and_what_it_does(acme):
    _registered, silver, _gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, str(GOLD_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW):
        html = card(acme, acme.partner)
        result = outlook(acme, acme.partner)
    # 07:30 UTC: the runs are at 00, 06, 12 and 18 UTC, so the next is 12:00 the same day.
    assert result.kind == "scheduled"
    assert result.next_evaluation == datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    assert "All requirements of Gold are met. Next evaluation:" in html
    assert "proposes the upgrade for approval" in html and "UTC" in html
    assert OLD_PROMISE not in html


def test_with_auto_apply_the_card_says_the_move_happens(acme):
    _registered, silver, _gold = make_ladder(acme, auto_apply_tier_changes=True)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, str(GOLD_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW):
        assert "it moves the partner to Gold" in outlook(acme, acme.partner).message


def test_a_rejected_upgrade_is_said_to_be_snoozed(acme):
    _registered, silver, _gold = make_ladder(acme, tier_grace_period_days=30)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, str(GOLD_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW), tenant_context(acme.tenant):
        proposal = services.evaluate_partner(partner=acme.partner)
        services.tier_proposal_decide(
            actor=actor_for_user(acme.admin, acme.tenant),
            proposal=proposal,
            approve=False,
            note="Not this quarter",
        )
    with at(NOW + timedelta(days=1)):
        result = outlook(acme, acme.partner)
        with tenant_context(acme.tenant):
            assert services.evaluate_partner(partner=acme.partner) is None  # what it says holds
    assert result.kind == "rejected"
    assert "not proposed again before" in result.message and "Next evaluation" not in result.message


def test_nothing_is_promised_when_the_next_tier_is_not_reached(acme):
    _registered, silver, _gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    with at(NOW):
        html = card(acme, acme.partner)
        assert outlook(acme, acme.partner).kind == ""
    assert "Next evaluation" not in html and "awaiting approval" not in html


def test_the_api_tells_the_same_outlook(acme):
    _registered, silver, _gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, str(GOLD_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW):
        response = acme.api(acme.admin).get(f"/api/v1/tier-progress/{acme.partner.uuid}/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outlook"].startswith("All requirements of Gold are met. Next evaluation:")
    assert body["next_evaluation"].startswith("2026-12-05T12:00:00")


# --- Placed in the tier at once ----------------------------------------------------------------


def test_a_partner_that_is_contracted_gets_the_entry_tier_at_once(acme):
    registered, _silver, _gold = make_ladder(acme)
    with_state(acme, acme.partner, LifecycleState.APPROVED)
    with tenant_context(acme.tenant):
        lifecycle.partner_transition(
            actor=SYSTEM, partner=acme.partner, to_state=LifecycleState.CONTRACTED
        )
        partner = PartnerOrganization.objects.get(pk=acme.partner.pk)
        history = list(partner.tier_changes.values_list("to_tier__name", flat=True))
    assert partner.tier == registered and partner.tier_since is not None
    assert history == ["Registered"]


def test_a_partner_that_becomes_active_with_gold_figures_gets_the_proposal_at_once(acme):
    registered, _silver, gold = make_ladder(acme)
    with_state(acme, acme.partner, LifecycleState.SUSPENDED, tier=registered)
    add_revenue(acme, acme.partner, str(GOLD_REVENUE), NOW.date() - timedelta(days=5))
    with at(NOW), tenant_context(acme.tenant):
        lifecycle.partner_transition(
            actor=actor_for_user(acme.admin, acme.tenant),
            partner=acme.partner,
            to_state=LifecycleState.ACTIVE,
        )
        proposals = list(TierProposal.objects.filter(partner=acme.partner))
    assert [(p.to_tier, p.status) for p in proposals] == [(gold, ProposalStatus.PENDING)]


def test_moves_between_evaluated_states_or_outside_them_do_not_evaluate(acme):
    make_ladder(acme)
    with_state(acme, acme.partner, LifecycleState.PROSPECT)
    with tenant_context(acme.tenant):
        lifecycle.partner_transition(
            actor=SYSTEM, partner=acme.partner, to_state=LifecycleState.APPROVED
        )
        assert PartnerOrganization.objects.get(pk=acme.partner.pk).tier is None


def test_a_partner_created_active_is_placed_at_once(acme):
    registered, _silver, _gold = make_ladder(acme)
    with tenant_context(acme.tenant):
        partner = lifecycle.partner_organization_create(
            actor=SYSTEM,
            name="Northwind Resale",
            partner_type="reseller",
            state=LifecycleState.ACTIVE,
            website="https://northwind-resale.example",
        )
        assert PartnerOrganization.objects.get(pk=partner.pk).tier == registered
        prospect = lifecycle.partner_organization_create(
            actor=SYSTEM, name="Later Co", partner_type="reseller", website="https://later.example"
        )
        assert PartnerOrganization.objects.get(pk=prospect.pk).tier is None


def test_without_tiers_a_transition_still_works(acme):
    partner = PartnerOrganizationFactory(tenant=acme.tenant, state=LifecycleState.APPROVED)
    with tenant_context(acme.tenant):
        lifecycle.partner_transition(
            actor=SYSTEM, partner=partner, to_state=LifecycleState.CONTRACTED
        )
        assert PartnerOrganization.objects.get(pk=partner.pk).state == LifecycleState.CONTRACTED


def test_partners_imported_as_active_get_their_tier_once_the_import_commits(
    acme, django_capture_on_commit_callbacks
):
    from partners.tests.test_imports import csv_bytes, last_import, partner_row, start, upload

    registered, _silver, _gold = make_ladder(acme)
    capture = django_capture_on_commit_callbacks
    rows = [partner_row(1, state="active"), partner_row(2)]
    columns = ["name", "website", "partner_type", "state"]
    upload(acme, acme.admin, "p.csv", csv_bytes(rows, columns), capture)
    partner_import = start(acme, acme.admin, last_import(acme), capture)
    assert partner_import.status == "done", partner_import.errors
    with tenant_context(acme.tenant):
        tiers = dict(
            PartnerOrganization.objects.filter(name__startswith="Imported").values_list(
                "name", "tier"
            )
        )
    assert tiers == {"Imported 1": registered.pk, "Imported 2": None}  # the prospect has none
