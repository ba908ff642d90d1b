"""Every domain event type (tenancy.events.EVENT_TYPES) is written by the business action that
makes its change, through the service the UI and the API call: exactly one event of the type,
for the changed object and its partner, with the payload integrations deliver. It is written in
the change's own transaction: visible before the commit, gone when the change rolls back; an
action the service refuses writes none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from dealreg.models import DealStatus
from dealreg.services.decisions import AccountLocked, deal_reject
from dealreg.services.outcomes import deal_outcome
from dealreg.sweeps import expiry_sweep_all_tenants
from dealreg.tests.test_conflicts import approve, ready, register
from enablement.certs.tasks import send_recert_reminders_all_tenants
from enablement.certs.tests.factories import make_ladder as make_cert_ladder
from enablement.certs.tests.factories import pass_quiz
from mdf.services import campaigns
from mdf.services import requests as mdf
from mdf.tests.helpers import funded, lead_data, make_campaign, proof, request_data
from onboarding.services import agreements
from partners.models import LifecycleState
from partners.services.tiers import tier_set
from partners.tests.test_tiers_support import activate as put_on_tier
from partners.tests.test_tiers_support import make_ladder as make_tier_ladder
from tenancy.context import tenant_context
from tenancy.events import EVENT_TYPES
from tenancy.models import DomainEvent

pytestmark = pytest.mark.django_db

DEAL_KEYS = {
    "deal", "partner", "status", "customer_name", "customer_domain", "region", "products",
    "estimated_value", "currency", "expected_close_date", "submitted_at", "approved_at",
    "expires_at", "closed_at",
}  # fmt: skip
REQUEST_KEYS = {"request", "partner", "title", "activity_type", "amount", "currency"}
LEAD_KEYS = {
    "lead", "campaign", "partner", "first_name", "last_name", "email", "company", "job_title",
    "marketing_consent", "created_at",
}  # fmt: skip
AWARD_KEYS = {
    "award", "certification", "person", "partner", "issued_at", "expires_at", "verification_code",
}  # fmt: skip


# --- The business actions ------------------------------------------------------------------------
# Each case: `prepare(world)` builds what the action needs (outside the transaction under test);
# `act(world, prepared)` is the one service call and returns (the aggregate's uuid, payload values
# the event must carry).


def later(moment):
    return time_machine.travel(moment + timedelta(minutes=1), tick=False)


def deal_for_approval(world):
    ready(world)
    return register(world, world.partner_sales)


def approved_deal(world):
    return approve(world, deal_for_approval(world))


def deal_submit(world, _prepared):
    deal = register(world, world.partner_sales)
    return deal.uuid, {"deal": str(deal.uuid), "status": DealStatus.SUBMITTED}


def deal_approve(world, deal):
    approve(world, deal)
    return deal.uuid, {"deal": str(deal.uuid), "status": DealStatus.APPROVED}


def deal_refuse(world, deal):
    with tenant_context(world.tenant):
        deal_reject(actor=world.actor(world.manager), registration=deal, reason="Direct account")
    return deal.uuid, {"status": DealStatus.REJECTED}


def deal_expire(world, deal):
    # Beat's hourly sweep, an hour after the lock ended.
    with later(deal.expires_at):
        expiry_sweep_all_tenants.delay()
    return deal.uuid, {"status": DealStatus.EXPIRED, "expires_at": deal.expires_at.isoformat()}


def deal_close(outcome: str, **extra):
    def act(world, deal):
        with tenant_context(world.tenant):
            deal_outcome(
                actor=world.actor(world.partner_sales),
                registration=deal,
                outcome=outcome,
                **extra,
            )
        return deal.uuid, {"status": outcome}

    return act


def signable_agreement(world):
    with tenant_context(world.tenant):
        world.partner.state = LifecycleState.APPROVED
        world.partner.save(update_fields=["state"])
        admin = world.actor(world.admin)
        template = agreements.agreement_draft_create(
            actor=admin, title="Partner agreement", body="# Terms", partner_type=""
        )
        return agreements.agreement_publish(actor=admin, template=template)


def agreement_sign(world, template):
    with tenant_context(world.tenant):
        agreements.agreement_sign(
            actor=world.actor(world.partner_admin),
            template=template,
            signer_name="Pat Signer",
            signer_title="CEO",
            agree=True,
        )
    return world.partner.uuid, {"version": template.version, "signer_name": "Pat Signer"}


def partner_on_entry_tier(world):
    registered, _silver, gold = make_tier_ladder(world)
    put_on_tier(world, world.partner, tier=registered)
    return gold


def tier_change(world, gold):
    with tenant_context(world.tenant):
        tier_set(
            actor=world.actor(world.admin),
            partner=world.partner,
            tier=gold,
            reason="Strategic launch partner",
        )
    return world.partner.uuid, {"from_tier": "Registered", "to_tier": "Gold"}


def award(world, ladder):
    (awarded,) = pass_quiz(world, world.partner_sales, ladder["exam_a"])
    return awarded.uuid, {"certification": ladder["pro"].name, "person": world.partner_sales.email}


def awarded(world):
    ladder = make_cert_ladder(world)
    (certification,) = pass_quiz(world, world.partner_sales, ladder["exam_a"])
    return certification


def award_expire(world, certification):
    with later(certification.expires_at):
        send_recert_reminders_all_tenants.delay()
    return certification.uuid, {"expires_at": certification.expires_at.isoformat()}


def submitted_request(world):
    _fund, allocation = funded(world)
    with tenant_context(world.tenant):
        return mdf.request_submit(
            actor=world.actor(world.partner_admin), allocation=allocation, **request_data()
        )


def request_approve(world, fund_request):
    with tenant_context(world.tenant):
        mdf.request_decide(
            actor=world.actor(world.manager), fund_request=fund_request, decision="approve"
        )
    return fund_request.uuid, {"request": str(fund_request.uuid), "approved_amount": "4000.00"}


def approved_claim(world):
    fund_request = submitted_request(world)
    request_approve(world, fund_request)
    with tenant_context(world.tenant):
        claim = mdf.claim_submit(
            actor=world.actor(world.partner_admin),
            fund_request=fund_request,
            spent="3000",
            spent_currency="USD",
            files=[("invoice", proof())],
        )
        return mdf.claim_decide(actor=world.actor(world.manager), claim=claim, decision="approve")


def claim_pay(world, claim):
    with tenant_context(world.tenant):
        mdf.payout_record(
            actor=world.actor(world.admin),
            claim=claim,
            method="bank_transfer",
            reference="TRX-2291",
            paid_on=timezone.localdate(),
        )
        request_uuid = claim.request.uuid
    return request_uuid, {"claim": str(claim.uuid), "reference": "TRX-2291"}


def lead_capture(world, campaign):
    # The campaign's public landing form calls this service (its host names the tenant).
    with tenant_context(world.tenant):
        lead, created = campaigns.lead_capture(campaign=campaign, data=lead_data())
    assert created
    return lead.uuid, {"lead": str(lead.uuid), "campaign": campaign.name, "email": lead.email}


@dataclass(frozen=True)
class Case:
    type: str
    aggregate: str
    keys: set[str]
    prepare: Callable[[Any], Any]
    act: Callable[[Any, Any], tuple[Any, dict]]


CASES = [
    Case(
        "partner.signed",
        "partner",
        {"partner", "partner_name", "agreement", "version", "signed_at", "signer_name", "method"},
        signable_agreement,
        agreement_sign,
    ),
    Case(
        "partner.tier_changed",
        "partner",
        {"partner", "partner_name", "from_tier", "to_tier", "reason", "changed_at"},
        partner_on_entry_tier,
        tier_change,
    ),
    Case("deal.submitted", "deal", DEAL_KEYS, ready, deal_submit),
    Case("deal.approved", "deal", DEAL_KEYS, deal_for_approval, deal_approve),
    Case("deal.rejected", "deal", DEAL_KEYS, deal_for_approval, deal_refuse),
    Case("deal.expired", "deal", DEAL_KEYS, approved_deal, deal_expire),
    Case("deal.won", "deal", DEAL_KEYS, approved_deal, deal_close(DealStatus.WON)),
    Case(
        "deal.lost",
        "deal",
        DEAL_KEYS,
        approved_deal,
        deal_close(DealStatus.LOST, reason="Budget cut"),
    ),
    Case("certification.awarded", "certification", AWARD_KEYS, make_cert_ladder, award),
    Case("certification.expired", "certification", AWARD_KEYS, awarded, award_expire),
    Case(
        "mdf.request_approved",
        "mdf_request",
        REQUEST_KEYS | {"approved_amount"},
        submitted_request,
        request_approve,
    ),
    Case(
        "mdf.claim_paid",
        "mdf_request",
        REQUEST_KEYS | {"claim", "payout", "paid_amount", "method", "reference", "paid_on"},
        approved_claim,
        claim_pay,
    ),
    Case(
        "lead.created",
        "lead",
        LEAD_KEYS,
        make_campaign,
        lead_capture,
    ),
]
BY_TYPE = {case.type: case for case in CASES}


def events_of(world, type_: str) -> list[DomainEvent]:
    with tenant_context(world.tenant):
        return list(DomainEvent.objects.filter(type=type_))


def test_every_event_type_has_a_case():
    assert sorted(BY_TYPE) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("case", CASES, ids=[case.type for case in CASES])
def test_the_action_writes_exactly_one_event_for_its_object(acme, case):
    prepared = case.prepare(acme)
    assert events_of(acme, case.type) == []
    aggregate_uuid, values = case.act(acme, prepared)
    events = events_of(acme, case.type)
    assert len(events) == 1, f"{case.type}: {len(events)} events"
    (event,) = events
    assert (event.aggregate, event.aggregate_uuid) == (case.aggregate, aggregate_uuid)
    assert event.partner_uuid == acme.partner.uuid
    assert set(event.payload) == case.keys
    assert event.payload["partner"] == str(acme.partner.uuid)
    assert {key: event.payload[key] for key in values} == values


@pytest.mark.parametrize("case", CASES, ids=[case.type for case in CASES])
def test_a_rolled_back_action_leaves_no_event(acme, case):
    """The event is in the change's transaction: there before the commit, gone with a rollback."""
    prepared = case.prepare(acme)
    with pytest.raises(RuntimeError), transaction.atomic():
        case.act(acme, prepared)
        assert len(events_of(acme, case.type)) == 1
        raise RuntimeError("the change fails after the event was written")
    assert events_of(acme, case.type) == []


def test_a_refused_loss_writes_no_event(acme):
    deal = approved_deal(acme)
    with pytest.raises(ValidationError) as refused:
        deal_close(DealStatus.LOST)(acme, deal)  # no reason given
    assert "reason" in refused.value.message_dict
    assert events_of(acme, "deal.lost") == []
    with tenant_context(acme.tenant):
        deal.refresh_from_db()
    assert deal.status == DealStatus.APPROVED


def test_an_approval_refused_by_the_account_lock_writes_no_event(acme):
    ready(acme)
    held = approve(acme, register(acme, acme.partner_sales))
    rival = register(acme, acme.other_partner_admin)  # the same customer account
    with pytest.raises(AccountLocked):
        approve(acme, rival)
    assert [event.aggregate_uuid for event in events_of(acme, "deal.approved")] == [held.uuid]


def test_a_refused_second_signature_writes_no_second_event(acme):
    template = signable_agreement(acme)
    agreement_sign(acme, template)
    with pytest.raises(ValidationError):
        agreement_sign(acme, template)
    assert len(events_of(acme, "partner.signed")) == 1


def test_a_lead_with_an_invalid_address_writes_no_event(acme):
    campaign = make_campaign(acme)
    with tenant_context(acme.tenant), pytest.raises(ValidationError):
        campaigns.lead_capture(campaign=campaign, data=lead_data(email="not an address"))
    assert events_of(acme, "lead.created") == []


def test_an_approval_above_the_requested_amount_writes_no_event(acme):
    fund_request = submitted_request(acme)
    with tenant_context(acme.tenant), pytest.raises(ValidationError):
        mdf.request_decide(
            actor=acme.actor(acme.manager),
            fund_request=fund_request,
            decision="approve",
            amount="999999",
        )
    assert events_of(acme, "mdf.request_approved") == []
