"""Tier evaluation: proposals, grace period, trailing window, idempotency, auto-apply, decisions,
manual changes, the certification provider and the scheduled task."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from partners.models import (
    LifecycleState,
    PartnerOrganization,
    ProposalStatus,
    TierChange,
    TierProposal,
)
from partners.selectors import tiers as selectors
from partners.services import tiers as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .test_tiers_support import GOLD_REVENUE, activate, add_revenue, make_ladder

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def refreshed(world, partner):
    with tenant_context(world.tenant):
        return PartnerOrganization.objects.select_related("tier").get(pk=partner.pk)


def evaluate(world, partner, **kwargs):
    with tenant_context(world.tenant):
        return services.evaluate_partner(partner=partner, **kwargs)


def pending(world, partner):
    with tenant_context(world.tenant):
        return list(
            TierProposal.objects.filter(
                partner=partner, status=ProposalStatus.PENDING
            ).select_related("to_tier")
        )


# --- Proposals --------------------------------------------------------------------------------


def test_partner_meeting_gold_requirements_is_proposed_for_gold_with_reasons(acme):
    _registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, "700000", date(2025, 3, 1))
    add_revenue(acme, acme.partner, "400000", date(2024, 9, 1))
    with at(NOW):
        proposal = evaluate(acme, acme.partner)
    assert proposal.to_tier == gold and proposal.from_tier == silver
    assert proposal.status == ProposalStatus.PENDING and proposal.is_upgrade
    revenue = next(r for r in proposal.reasons if r["key"] == "revenue")
    assert revenue == {
        "key": "revenue",
        "kind": "money",
        "label": revenue["label"],
        "have": "1100000.00",
        "need": "1000000.00",
        "met": True,
        "tier": "Gold",
    }
    # Not applied without approval.
    assert refreshed(acme, acme.partner).tier == silver


def test_untiered_active_partner_enters_at_entry_tier_and_prospects_are_not_evaluated(acme):
    registered, _silver, _gold = make_ladder(acme)
    activate(acme, acme.partner)
    with at(NOW):
        assert evaluate(acme, acme.partner) is None
        assert evaluate(acme, acme.other_partner) is None  # still a prospect
    partner = refreshed(acme, acme.partner)
    assert partner.tier == registered and partner.tier_since == NOW
    assert refreshed(acme, acme.other_partner).tier is None
    with tenant_context(acme.tenant):
        change = TierChange.objects.get(partner=acme.partner)
    assert change.from_tier is None and change.to_tier == registered and change.by_label == "system"


def test_revenue_outside_the_trailing_window_does_not_count(acme):
    _registered, silver, _gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    # Twelve months back to the day is outside the window; the day after is inside.
    add_revenue(acme, acme.partner, "900000", date(2024, 6, 15))
    add_revenue(acme, acme.partner, "50000", date(2024, 6, 16))
    add_revenue(acme, acme.partner, "60000", date(2025, 6, 15))
    add_revenue(acme, acme.partner, "999999", date(2025, 6, 16))  # future: not yet
    with at(NOW):
        with tenant_context(acme.tenant):
            assert selectors.trailing_revenue(acme.partner) == Decimal("110000")
        # 110k counts: below Silver (250k), so the grace period starts; nothing is proposed.
        assert evaluate(acme, acme.partner) is None
    assert pending(acme, acme.partner) == []
    assert refreshed(acme, acme.partner).below_tier_since == NOW


def test_sourced_and_influenced_revenue_both_count(acme):
    from partners.models import RevenueKind

    _registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, "600000", date(2025, 1, 10), kind=RevenueKind.SOURCED)
    add_revenue(acme, acme.partner, "400000", date(2025, 2, 10), kind=RevenueKind.INFLUENCED)
    with at(NOW):
        assert evaluate(acme, acme.partner).to_tier == gold


def test_evaluating_twice_creates_no_duplicate_proposal(acme):
    make_ladder(acme)
    activate(acme, acme.partner)
    add_revenue(acme, acme.partner, "1200000", date(2025, 5, 1))
    with at(NOW):
        first = evaluate(acme, acme.partner)
        second = evaluate(acme, acme.partner)
        with tenant_context(acme.tenant):
            services.evaluate_tenant()
    assert first.pk == second.pk
    with tenant_context(acme.tenant):
        assert TierProposal.objects.filter(partner=acme.partner).count() == 1
        assert TierChange.objects.filter(partner=acme.partner).count() == 1  # entry only


def test_a_different_target_supersedes_the_pending_proposal(acme):
    registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=registered)
    add_revenue(acme, acme.partner, "300000", date(2025, 1, 1))
    with at(NOW):
        to_silver = evaluate(acme, acme.partner)
    assert to_silver.to_tier == silver
    add_revenue(acme, acme.partner, "800000", date(2025, 2, 1))
    with at(NOW + timedelta(hours=6)):
        to_gold = evaluate(acme, acme.partner)
    assert to_gold.to_tier == gold
    with tenant_context(acme.tenant):
        to_silver.refresh_from_db()
    assert to_silver.status == ProposalStatus.SUPERSEDED
    assert [p.pk for p in pending(acme, acme.partner)] == [to_gold.pk]


def test_downgrade_is_proposed_only_after_the_grace_period(acme):
    _registered, silver, gold = make_ladder(acme, tier_grace_period_days=90)
    activate(acme, acme.partner, tier=gold)
    add_revenue(acme, acme.partner, "1100000", date(2024, 7, 1))  # leaves the window on 2025-07-01
    add_revenue(acme, acme.partner, "300000", date(2025, 3, 1))
    with at(NOW):
        assert evaluate(acme, acme.partner) is None  # still Gold: 1.4M
    drop_day = datetime(2025, 7, 2, 12, 0, tzinfo=UTC)
    with at(drop_day):
        assert evaluate(acme, acme.partner) is None  # below Gold: the grace period starts
    partner = refreshed(acme, acme.partner)
    assert partner.below_tier_since == drop_day and partner.tier == gold
    with at(drop_day + timedelta(days=89)):
        assert evaluate(acme, acme.partner) is None  # day 89: not yet
    assert pending(acme, acme.partner) == []
    with at(drop_day + timedelta(days=90)):
        proposal = evaluate(acme, acme.partner)
    assert proposal.from_tier == gold and proposal.to_tier == silver and not proposal.is_upgrade
    revenue = next(r for r in proposal.reasons if r["key"] == "revenue")
    assert revenue["met"] is False and revenue["tier"] == "Gold"
    assert refreshed(acme, acme.partner).tier == gold  # pending approval


def test_meeting_the_tier_again_clears_grace_and_supersedes_the_downgrade(acme):
    _registered, silver, gold = make_ladder(acme, tier_grace_period_days=30)
    activate(acme, acme.partner, tier=gold)
    add_revenue(acme, acme.partner, "300000", date(2025, 3, 1))
    with at(NOW):
        evaluate(acme, acme.partner)
    with at(NOW + timedelta(days=31)):
        downgrade = evaluate(acme, acme.partner)
    assert downgrade.to_tier == silver
    add_revenue(acme, acme.partner, "900000", date(2025, 7, 1))
    with at(NOW + timedelta(days=32)):
        assert evaluate(acme, acme.partner) is None
    partner = refreshed(acme, acme.partner)
    assert partner.below_tier_since is None and partner.tier == gold
    with tenant_context(acme.tenant):
        downgrade.refresh_from_db()
    assert downgrade.status == ProposalStatus.SUPERSEDED


def test_auto_apply_changes_the_tier_at_once_with_history(acme):
    _registered, silver, gold = make_ladder(acme, auto_apply_tier_changes=True)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, "1500000", date(2025, 4, 1))
    with at(NOW):
        proposal = evaluate(acme, acme.partner)
    assert proposal.status == ProposalStatus.APPLIED
    partner = refreshed(acme, acme.partner)
    assert partner.tier == gold and partner.tier_since == NOW
    with tenant_context(acme.tenant):
        change = TierChange.objects.get(partner=acme.partner, to_tier=gold)
        assert AuditEvent.objects.filter(
            action="partner.tier_changed", target_id=str(acme.partner.uuid)
        ).exists()
    assert change.from_tier == silver and change.proposal_id == proposal.pk


def test_certification_requirements_use_the_registered_provider(acme):
    _registered, silver, gold = make_ladder(acme, gold_people=2, gold_certs=["Cloud Architect"])
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, "1500000", date(2025, 4, 1))
    with at(NOW):
        assert evaluate(acme, acme.partner) is None  # nobody certified yet
        with tenant_context(acme.tenant):
            rows = {r.key: r for r in selectors.tier_progress(acme.partner).rows}
        assert rows["certified_people"].have == 0 and not rows["certified_people"].met
        assert not rows["certification:Cloud Architect"].met

        facts = services.CertificationFacts(certified_people=3, certifications={"Cloud Architect"})
        with services.certification_provider.registered(lambda partner: facts):
            proposal = evaluate(acme, acme.partner)
    assert proposal.to_tier == gold
    keys = {r["key"]: r for r in proposal.reasons}
    assert keys["certified_people"]["have"] == 3 and keys["certified_people"]["need"] == 2
    assert keys["certification:Cloud Architect"]["met"] is True


# --- Decisions --------------------------------------------------------------------------------


def _gold_proposal(world, partner):
    _registered, silver, gold = make_ladder(world)
    activate(world, partner, tier=silver)
    add_revenue(world, partner, "1200000", date(2025, 5, 1))
    with at(NOW):
        proposal = evaluate(world, partner)
    return proposal, silver, gold


def test_admin_approves_a_proposal_tier_changes_with_history_and_audit(acme):
    proposal, silver, gold = _gold_proposal(acme, acme.partner)
    with tenant_context(acme.tenant), at(NOW + timedelta(days=1)):
        decided = services.tier_proposal_decide(
            actor=actor_for_user(acme.admin, acme.tenant), proposal=proposal, approve=True
        )
        partner = PartnerOrganization.objects.get(pk=acme.partner.pk)
        change = TierChange.objects.get(proposal=proposal)
        audit = AuditEvent.objects.get(action="tier_proposal.approved")
    assert decided.status == ProposalStatus.APPLIED and decided.decided_by == acme.admin
    assert partner.tier == gold and partner.tier_since == NOW + timedelta(days=1)
    assert change.from_tier == silver and change.by_label == acme.admin.email
    assert audit.changes["tier"] == ["Silver", "Gold"]


def test_reject_needs_a_note_records_it_and_snoozes_the_same_move(acme):
    proposal, silver, _gold = _gold_proposal(acme, acme.partner)
    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.manager, acme.tenant)  # the partner's channel manager
        with pytest.raises(ValidationError):
            services.tier_proposal_decide(actor=actor, proposal=proposal, approve=False)
        services.tier_proposal_decide(
            actor=actor, proposal=proposal, approve=False, note="Wait for the renewal."
        )
        proposal.refresh_from_db()
        with pytest.raises(ValidationError):  # decided once, not twice
            services.tier_proposal_decide(actor=actor, proposal=proposal, approve=True)
    assert proposal.status == ProposalStatus.REJECTED
    assert proposal.decision_note == "Wait for the renewal."
    assert refreshed(acme, acme.partner).tier == silver
    with at(NOW + timedelta(days=1)):
        assert evaluate(acme, acme.partner) is None  # rejected: not re-proposed at once
    assert pending(acme, acme.partner) == []


@pytest.mark.parametrize("who", ["manager", "executive", "partner_admin"])
def test_only_admins_and_the_partners_manager_decide(acme, who):
    proposal, _silver, _gold = _gold_proposal(acme, acme.other_partner)  # not the manager's
    with tenant_context(acme.tenant):
        actor = actor_for_user(getattr(acme, who), acme.tenant)
        with pytest.raises(PermissionDenied):
            services.tier_proposal_decide(actor=actor, proposal=proposal, approve=True)


def test_manual_tier_change_by_admin_is_recorded_and_managers_cannot(acme):
    registered, silver, gold = make_ladder(acme)
    activate(acme, acme.partner, tier=registered)
    with tenant_context(acme.tenant):
        with pytest.raises(PermissionDenied):
            services.tier_set(
                actor=actor_for_user(acme.manager, acme.tenant),
                partner=acme.partner,
                tier=gold,
                reason="Strategic",
            )
        with pytest.raises(ValidationError):
            services.tier_set(
                actor=actor_for_user(acme.admin, acme.tenant),
                partner=acme.partner,
                tier=gold,
                reason=" ",
            )
        services.tier_set(
            actor=actor_for_user(acme.admin, acme.tenant),
            partner=acme.partner,
            tier=gold,
            reason="Strategic launch partner",
        )
        change = TierChange.objects.get(partner=acme.partner)
    assert change.to_tier == gold and change.reason == "Strategic launch partner"
    assert refreshed(acme, acme.partner).tier == gold


# --- Tier definitions -------------------------------------------------------------------------


def test_tier_ladder_is_validated(acme):
    from tenancy.access import SYSTEM

    make_ladder(acme)
    with tenant_context(acme.tenant):
        silver = services.selectors.tier_list().get(rank=2)
        with pytest.raises(ValidationError) as fourth:
            services.tier_save(actor=SYSTEM, name="Platinum", rank=3)
        assert "rank" in fourth.value.message_dict
        with pytest.raises(ValidationError) as above_gold:
            services.tier_save(
                actor=SYSTEM, tier=silver, min_trailing_revenue=GOLD_REVENUE + Decimal("1")
            )
        assert "min_trailing_revenue" in above_gold.value.message_dict
        with pytest.raises(ValidationError) as rank_range:
            services.tier_save(actor=SYSTEM, tier=silver, rank=4)
        assert "rank" in rank_range.value.message_dict
        with pytest.raises(ValidationError) as colour:
            services.tier_save(actor=SYSTEM, tier=silver, color="red;x")
        assert "color" in colour.value.message_dict


# --- The scheduled task -----------------------------------------------------------------------


def test_scheduled_task_evaluates_every_tenant_once(
    acme, globex, django_capture_on_commit_callbacks
):
    from partners.tasks.tiers import evaluate_all_tenants

    for world in (acme, globex):
        make_ladder(world)
        activate(world, world.partner)
        add_revenue(world, world.partner, "1200000", timezone.localdate() - timedelta(days=30))
    for _run in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            assert evaluate_all_tenants() >= 2
    for world in (acme, globex):
        with tenant_context(world.tenant):
            proposals = TierProposal.objects.filter(partner=world.partner)
            assert proposals.count() == 1
            assert proposals.get().to_tier.name == "Gold"
            assert PartnerOrganization.objects.get(pk=world.other_partner.pk).tier is None


def test_lifecycle_states_evaluated(acme):
    make_ladder(acme)
    extra = PartnerOrganizationFactory(tenant=acme.tenant, state=LifecycleState.CONTRACTED)
    suspended = PartnerOrganizationFactory(tenant=acme.tenant, state=LifecycleState.SUSPENDED)
    with tenant_context(acme.tenant):
        services.evaluate_tenant()
        assert PartnerOrganization.objects.get(pk=extra.pk).tier is not None
        assert PartnerOrganization.objects.get(pk=suspended.pk).tier is None


def test_program_settings_are_read_once_per_reading_and_fresh_after_it(acme):
    """A page's panels (tier progress, MDF return, the figures' currency) share one read of
    the program settings inside `one_reading()`; outside one every call reads, so a change
    shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tenancy.access import SYSTEM
    from tenancy.common.reading import one_reading

    with tenant_context(acme.tenant):
        services.program_settings_update(actor=SYSTEM, currency="EUR")
        with one_reading(), CaptureQueriesContext(connection) as ctx:
            assert services.program_settings().currency == "EUR"
            assert selectors.program_settings_or_default().currency == "EUR"
            assert services.program_settings().currency == "EUR"
        assert len(ctx.captured_queries) == 1
        services.program_settings_update(actor=SYSTEM, currency="GBP")
        with CaptureQueriesContext(connection) as ctx:
            assert selectors.program_settings_or_default().currency == "GBP"
            assert services.program_settings().currency == "GBP"
        assert len(ctx.captured_queries) == 2


def test_a_reading_that_met_the_unsaved_defaults_still_creates_the_settings_row(acme):
    """Before an admin saves the settings, the selector's defaults are unsaved; the service
    that creates the row still creates it in the same reading."""
    from partners.models import ProgramSettings
    from tenancy.common.reading import one_reading

    with tenant_context(acme.tenant):
        ProgramSettings.objects.all().delete()
        with one_reading():
            assert selectors.program_settings_or_default().pk is None
            created = services.program_settings()
            assert created.pk is not None
        assert ProgramSettings.objects.get().pk == created.pk
