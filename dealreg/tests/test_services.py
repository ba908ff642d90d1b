"""Deal registration through its service: the onboarding gate first, then the lifecycle state
and field validation; a registration is submitted, audited and records the first-deal milestone."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dealreg.models import DealRegistration, DealStatus
from dealreg.services.registration import deal_register
from onboarding.models import Benefit, BenefitGate, Milestone, MilestoneKey
from onboarding.services.progress import BenefitLocked, milestones_refresh
from partners.models import LifecycleState
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .helpers import activate, complete_101, deal_data

pytestmark = pytest.mark.django_db


def register(world, user, **overrides):
    with tenant_context(world.tenant):
        return deal_register(actor=actor_for_user(user, world.tenant), **deal_data(**overrides))


def test_registration_is_refused_before_the_101_and_allowed_right_after(acme):
    activate(acme)
    with pytest.raises(BenefitLocked) as locked:
        register(acme, acme.partner_sales)
    payload = locked.value.payload
    assert payload["code"] == "benefit_locked" and payload["benefit"] == "deal_registration"
    assert [m["step"] for m in payload["missing"]] == [MilestoneKey.TRAINING_101]
    assert payload["missing"][0]["url"] == "/portal/learning/"

    complete_101(acme, acme.partner_presales)
    deal = register(acme, acme.partner_sales)

    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get(pk=deal.pk)
        assert deal.partner == acme.partner and deal.submitted_by == acme.partner_sales
        assert deal.status == DealStatus.SUBMITTED and deal.submitted_at is not None
        assert deal.customer_domain == "initech.com"
        assert deal.estimated_value == Decimal("125000.00")
        assert deal.products == ["Platform", "Support"]
        event = AuditEvent.objects.get(action="deal.registered")
        assert event.target_id == str(deal.uuid) and event.actor == acme.partner_sales
        first_deal = Milestone.objects.get(partner=acme.partner, key=MilestoneKey.FIRST_DEAL)
        assert first_deal.reached_at == deal.submitted_at


def test_gate_is_checked_before_the_input(acme):
    activate(acme)
    with pytest.raises(BenefitLocked):
        register(acme, acme.partner_sales, customer_name="", estimated_value="-1")


def test_per_user_training_scope_needs_the_registering_user_to_have_done_the_101(acme):
    from onboarding.models import GateScope, OnboardingSettings

    activate(acme)
    complete_101(acme, acme.partner_presales)
    with tenant_context(acme.tenant):
        OnboardingSettings.objects.create(tenant=acme.tenant, training_gate_scope=GateScope.USER)
    with pytest.raises(BenefitLocked):
        register(acme, acme.partner_sales)
    assert register(acme, acme.partner_presales).pk


def test_an_empty_gate_lets_everyone_register(acme):
    activate(acme)
    with tenant_context(acme.tenant):
        BenefitGate.objects.create(
            tenant=acme.tenant, benefit=Benefit.DEAL_REGISTRATION, requirements=[]
        )
    assert register(acme, acme.partner_admin).pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"customer_name": "  "}, "customer_name"),
        ({"estimated_value": "0"}, "estimated_value"),
        ({"estimated_value": "-5"}, "estimated_value"),
        ({"estimated_value": "abc"}, "estimated_value"),
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "EURO"}, "currency"),
        ({"expected_close_date": "2001-01-01"}, "expected_close_date"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"customer_domain": "not a domain"}, "customer_domain"),
        ({"products": ["ok", 3]}, "products"),
        ({"region": "MARS"}, "region"),
        ({"customer_country": "ZZ"}, "customer_country"),
    ],
)
def test_bad_input_is_refused_with_a_field_error(acme, overrides, field):
    activate(acme)
    complete_101(acme, acme.partner_sales)
    with pytest.raises(ValidationError) as error:
        register(acme, acme.partner_sales, **overrides)
    assert field in error.value.message_dict
    with tenant_context(acme.tenant):
        assert not DealRegistration.objects.exists()


def test_today_is_a_valid_close_date_and_products_are_deduplicated(acme):
    activate(acme)
    complete_101(acme, acme.partner_sales)
    deal = register(
        acme,
        acme.partner_sales,
        expected_close_date=timezone.localdate().isoformat(),
        products=["Platform", " platform ", "Add-on"],
    )
    assert deal.products == ["Platform", "Add-on"]


@pytest.mark.parametrize(
    "state", [LifecycleState.PROSPECT, LifecycleState.SUSPENDED, LifecycleState.RETIRED]
)
def test_partners_outside_the_active_states_cannot_register(acme, state):
    complete_101(acme, acme.partner_sales)
    with tenant_context(acme.tenant):
        acme.partner.state = state
        acme.partner.save(update_fields=["state"])
    with pytest.raises(PermissionDenied) as refused:
        register(acme, acme.partner_sales)
    assert not isinstance(refused.value, BenefitLocked)


@pytest.mark.parametrize("state", [LifecycleState.APPROVED, LifecycleState.CONTRACTED])
def test_approved_and_contracted_partners_can_register(acme, state):
    complete_101(acme, acme.partner_sales)
    with tenant_context(acme.tenant):
        acme.partner.state = state
        acme.partner.save(update_fields=["state"])
    assert register(acme, acme.partner_sales).pk


def test_roles_without_the_permission_cannot_register(acme):
    activate(acme)
    for user in (acme.partner_marketing, acme.admin, acme.manager):
        with pytest.raises(PermissionDenied):
            register(acme, user)


def test_first_deal_milestone_source_gives_the_earliest_submission(acme):
    activate(acme)
    complete_101(acme, acme.partner_sales)
    first = register(acme, acme.partner_sales)
    register(acme, acme.partner_sales, customer_name="Later")
    with tenant_context(acme.tenant):
        Milestone.objects.filter(key=MilestoneKey.FIRST_DEAL).delete()
        DealRegistration.objects.filter(pk=first.pk).update(
            submitted_at=first.submitted_at - timedelta(days=3)
        )
        milestones_refresh([acme.partner.pk])
        row = Milestone.objects.get(partner=acme.partner, key=MilestoneKey.FIRST_DEAL)
        assert row.reached_at == first.submitted_at - timedelta(days=3)
