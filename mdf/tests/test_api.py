"""The MDF REST API: funds and allocations, requests, claims with proof files, payouts and the
partner's balance. Every endpoint has the owner / member / outsider trio (the allowed role
succeeds, a role without the permission gets 403 JSON, another tenant's object 404 JSON), and bad
input answers 400 with field errors and writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from mdf.models import (
    Allocation,
    Claim,
    ClaimFile,
    ClaimStatus,
    Fund,
    FundRequest,
    LedgerEntry,
    Payout,
    RequestEvent,
    RequestStatus,
)
from mdf.services import ledger
from mdf.services import requests as mdf
from partners.tests.factories import PartnerOrganizationFactory
from tenancy import services as tenancy_services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .helpers import PNG, actor, funded, make_fund, proof, quarter, request_data, unlock_mdf

pytestmark = pytest.mark.django_db

FUNDS = "/api/v1/mdf-funds/"
REQUESTS = "/api/v1/mdf-requests/"
CLAIMS = "/api/v1/mdf-claims/"
PAYOUTS = "/api/v1/mdf-payouts/"
BALANCE = "/api/v1/mdf-balance/"
D = Decimal


# --- Helpers ---------------------------------------------------------------------------------


def refused(response, code: int) -> None:
    """A refusal is JSON with a `detail`, never a page or a traceback."""
    assert response.status_code == code, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


def field_errors(response) -> set[str]:
    assert response.status_code == 400, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    return set(response.json())


def written(world) -> dict[str, int]:
    """Rows of every MDF table: a refused call leaves them as they were."""
    with tenant_context(world.tenant):
        return {
            model.__name__: model.objects.count()
            for model in (
                Fund,
                Allocation,
                LedgerEntry,
                FundRequest,
                RequestEvent,
                Claim,
                ClaimFile,
                Payout,
            )
        }


def balances(world, allocation) -> tuple[Decimal, ...]:
    with tenant_context(world.tenant):
        allocation.refresh_from_db()
        return allocation.held, allocation.committed, allocation.paid, allocation.available


def submitted(world, allocation, **overrides) -> FundRequest:
    with tenant_context(world.tenant):
        return mdf.request_submit(
            actor=actor(world, world.partner_admin),
            allocation=allocation,
            **request_data(**overrides),
        )


def approved(world, allocation, **overrides) -> FundRequest:
    fund_request = submitted(world, allocation, **overrides)
    with tenant_context(world.tenant):
        return mdf.request_decide(
            actor=actor(world, world.admin), fund_request=fund_request, decision="approve"
        )


def claimed(world, allocation, spent="3000") -> Claim:
    fund_request = approved(world, allocation)
    with tenant_context(world.tenant):
        return mdf.claim_submit(
            actor=actor(world, world.partner_admin),
            fund_request=fund_request,
            spent=spent,
            files=[("invoice", proof())],
        )


def claim_approved(world, allocation) -> Claim:
    claim = claimed(world, allocation)
    with tenant_context(world.tenant):
        return mdf.claim_decide(actor=actor(world, world.admin), claim=claim, decision="approve")


def second_partner_allocation(world, fund, amount="5000"):
    """`world.other_partner` (no channel manager) gets an allocation from the same fund."""
    with tenant_context(world.tenant):
        return ledger.allocation_set(
            actor=actor(world, world.admin), fund=fund, partner=world.other_partner, amount=amount
        )


def as_json(data: dict) -> dict:
    return {key: str(value) for key, value in data.items()}


# --- Funds -----------------------------------------------------------------------------------


def test_vendor_staff_read_funds_with_money_as_strings_and_labels(acme):
    fund, _allocation = funded(acme, amount="10000")
    for user in (acme.admin, acme.manager, acme.marketing, acme.executive):
        api = acme.api(user)
        response = api.get(FUNDS)
        assert response.status_code == 200
        assert [row["id"] for row in response.json()["results"]] == [str(fund.uuid)]
        detail = api.get(f"{FUNDS}{fund.uuid}/").json()
        assert detail["budget"] == "100000.00" and detail["currency"] == fund.currency
        assert detail["unallocated"] == "90000.00" and detail["allocated_total"] == "10000.00"
        assert (detail["period"], detail["period_label"]) == ("quarter", "Quarter")
        assert detail["carry_over"] == "none" and detail["carry_over_label"]


def test_partners_and_direct_sales_cannot_read_funds(acme):
    fund, _allocation = funded(acme)
    for user in (acme.partner_admin, acme.partner_marketing, acme.sales):
        refused(acme.api(user).get(FUNDS), 403)
        refused(acme.api(user).get(f"{FUNDS}{fund.uuid}/"), 403)


def test_fund_of_another_tenant_is_404_on_every_route(acme, globex):
    foreign, _allocation = funded(globex)
    api = acme.api(acme.admin)
    refused(api.get(f"{FUNDS}{foreign.uuid}/"), 404)
    refused(api.patch(f"{FUNDS}{foreign.uuid}/", {"budget": "1"}), 404)
    refused(api.get(f"{FUNDS}{foreign.uuid}/allocations/"), 404)
    refused(
        api.post(
            f"{FUNDS}{foreign.uuid}/allocations/",
            {"partner": str(acme.partner.uuid), "amount": "1"},
        ),
        404,
    )
    refused(api.post(f"{FUNDS}{foreign.uuid}/run-allocations/"), 404)
    refused(api.get(f"{FUNDS}not-a-uuid/"), 404)
    with tenant_context(globex.tenant):
        assert Fund.objects.get().budget == D("100000")


def fund_payload(**overrides) -> dict:
    start, end = quarter()
    return {
        "name": "MDF next",
        "period": "quarter",
        "starts_on": start.isoformat(),
        "ends_on": end.isoformat(),
        "budget": "50000",
        **overrides,
    }


def test_mdf_managers_create_funds_other_roles_get_403(acme):
    for user, name in ((acme.admin, "By admin"), (acme.marketing, "By marketing")):
        response = acme.api(user).post(
            FUNDS, fund_payload(name=name, marketing_threshold="5000", claim_days=45)
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert body["name"] == name and body["budget"] == "50000.00"
        assert body["unallocated"] == "50000.00" and body["marketing_threshold"] == "5000.00"
        assert body["claim_days"] == 45 and body["allocation_cap"] is None
    before = written(acme)
    for user in (acme.manager, acme.executive, acme.partner_admin, acme.sales):
        refused(acme.api(user).post(FUNDS, fund_payload(name="Not allowed")), 403)
    assert written(acme) == before


def test_fund_create_bad_input_is_400_with_field_errors_and_writes_nothing(acme):
    make_fund(acme, name="Taken")
    before = written(acme)
    api = acme.api(acme.admin)
    start, _end = quarter()
    cases = [
        (fund_payload(period="decade", budget="lots"), {"period", "budget"}),
        (fund_payload(starts_on="2026-13-01"), {"starts_on"}),
        (fund_payload(budget="-5"), {"budget"}),
        (fund_payload(budget="1e400"), {"budget"}),
        (fund_payload(ends_on=(start - timezone.timedelta(days=1)).isoformat()), {"ends_on"}),
        (fund_payload(carry_over="share", carry_over_pct="0"), {"carry_over_pct"}),
        (fund_payload(carry_over_pct="250"), {"carry_over_pct"}),
        (fund_payload(claim_days=100000), {"claim_days"}),
        (fund_payload(name=""), {"name"}),
        (fund_payload(name="Taken"), {"name"}),
        (fund_payload(allocation_cap="0"), {"allocation_cap"}),
    ]
    for payload, fields in cases:
        assert field_errors(api.post(FUNDS, payload)) == fields, payload
    assert written(acme) == before


def test_fund_update_by_mdf_managers_with_field_errors_and_403(acme):
    fund, _allocation = funded(acme, amount="10000")
    make_fund(acme, name="Other fund")
    url = f"{FUNDS}{fund.uuid}/"
    response = acme.api(acme.marketing).patch(url, {"budget": "120000", "claim_days": 10})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["budget"], body["unallocated"], body["claim_days"]) == (
        "120000.00",
        "110000.00",
        10,
    )
    assert body["name"] == "MDF this quarter"  # untouched: only what was sent changes
    api = acme.api(acme.admin)
    assert field_errors(api.patch(url, {"budget": "9999.99"})) == {"budget"}
    assert field_errors(api.patch(url, {"name": "Other fund"})) == {"name"}
    assert field_errors(api.patch(url, {"claim_days": -1})) == {"claim_days"}
    for user in (acme.manager, acme.executive, acme.partner_admin):
        refused(acme.api(user).patch(url, {"budget": "1"}), 403)
    with tenant_context(acme.tenant):
        fund.refresh_from_db()
    assert (fund.name, fund.budget, fund.unallocated) == (
        "MDF this quarter",
        D("120000"),
        D("110000"),
    )


# --- Allocations -----------------------------------------------------------------------------


def test_fund_allocations_are_listed_for_vendor_staff(acme):
    fund, allocation = funded(acme, amount="10000")
    second_partner_allocation(acme, fund)
    for user in (acme.admin, acme.executive, acme.manager):
        response = acme.api(user).get(f"{FUNDS}{fund.uuid}/allocations/")
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [r["partner"] for r in rows] == [
            str(acme.partner.uuid),
            str(acme.other_partner.uuid),
        ]
        assert rows[0]["allocated"] == "10000.00" and rows[0]["available"] == "10000.00"
        assert (rows[0]["basis"], rows[0]["basis_label"]) == ("manual", "Set by hand")
        assert rows[0]["currency"] == fund.currency and rows[0]["id"] == str(allocation.uuid)
    refused(acme.api(acme.partner_admin).get(f"{FUNDS}{fund.uuid}/allocations/"), 403)


def test_allocation_set_by_hand_and_refusals(acme, globex):
    fund = make_fund(acme, budget="20000")
    url = f"{FUNDS}{fund.uuid}/allocations/"
    response = acme.api(acme.marketing).post(
        url, {"partner": str(acme.partner.uuid), "amount": "7500.50", "note": "Launch"}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["allocated"] == "7500.50"
    assert response.json()["basis_note"] == "Launch"
    with tenant_context(acme.tenant):
        fund.refresh_from_db()
    assert fund.unallocated == D("12499.50")
    before = written(acme)
    for user in (acme.manager, acme.executive, acme.partner_admin):
        refused(acme.api(user).post(url, {"partner": str(acme.partner.uuid), "amount": "1"}), 403)
    api = acme.api(acme.admin)
    foreign_partner = str(globex.partner.uuid)
    assert field_errors(api.post(url, {"partner": foreign_partner, "amount": "1"})) == {"partner"}
    assert field_errors(api.post(url, {"partner": str(acme.partner.uuid), "amount": "x"})) == {
        "amount"
    }
    too_much = api.post(url, {"partner": str(acme.other_partner.uuid), "amount": "12499.51"})
    assert field_errors(too_much) == {"amount"}
    assert "left to allocate" in too_much.json()["amount"][0]
    assert written(acme) == before


def test_allocation_cannot_drop_below_what_is_requested(acme):
    fund, allocation = funded(acme, amount="10000")
    submitted(acme, allocation, amount=D("4000"))
    before = written(acme)
    response = acme.api(acme.admin).post(
        f"{FUNDS}{fund.uuid}/allocations/", {"partner": str(acme.partner.uuid), "amount": "3000"}
    )
    assert field_errors(response) == {"amount"}
    assert written(acme) == before
    assert balances(acme, allocation) == (D("4000"), D("0"), D("0"), D("6000"))


def test_run_allocations_by_tier_rules_all_or_nothing(acme):
    from partners.models import LifecycleState, RevenueRecord, Tier

    fund = make_fund(acme, budget="1000")
    with tenant_context(acme.tenant):
        gold = Tier.objects.create(name="Gold", rank=1, mdf_eligible=True, mdf_share_pct=D("10"))
        partner = PartnerOrganizationFactory(
            tenant=acme.tenant, name="Gold Co", tier=gold, state=LifecycleState.ACTIVE
        )
        RevenueRecord.objects.create(
            partner=partner,
            kind="sourced",
            customer="C",
            amount=D("20000"),
            currency="USD",
            booked_on=timezone.localdate(),
        )
    url = f"{FUNDS}{fund.uuid}/run-allocations/"
    before = written(acme)
    for user in (acme.manager, acme.executive, acme.partner_admin):
        refused(acme.api(user).post(url), 403)
    # 10 % of 20,000.00 is 2,000.00: more than the 1,000.00 budget, so nothing is allocated.
    response = acme.api(acme.admin).post(url)
    assert field_errors(response) == {"detail"} and "unallocated" in response.json()["detail"][0]
    assert written(acme) == before
    assert acme.api(acme.admin).patch(f"{FUNDS}{fund.uuid}/", {"budget": "5000"}).status_code == 200
    response = acme.api(acme.marketing).post(url)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["changed"], body["total"]) == (1, 0, "2000.00")
    assert body["fund"]["unallocated"] == "3000.00" and body["fund"]["partner_count"] == 1


# --- Requests --------------------------------------------------------------------------------


def test_request_lists_are_scoped_by_role(acme, globex):
    fund, allocation = funded(acme)
    mine = submitted(acme, allocation)
    other_allocation = second_partner_allocation(acme, fund)
    with tenant_context(acme.tenant):
        theirs = mdf.request_submit(
            actor=actor(acme, acme.other_partner_admin),
            allocation=other_allocation,
            **request_data(title="Other partner's webinar", activity_type="webinar"),
        )
    _f, foreign_allocation = funded(globex)
    submitted(globex, foreign_allocation)

    def ids(user, query=""):
        response = acme.api(user).get(f"{REQUESTS}{query}")
        assert response.status_code == 200
        return [row["id"] for row in response.json()["results"]]

    assert ids(acme.partner_admin) == [str(mine.uuid)]
    assert ids(acme.partner_marketing) == [str(mine.uuid)]
    assert ids(acme.other_partner_admin) == [str(theirs.uuid)]
    assert ids(acme.manager) == [str(mine.uuid)]  # the channel manager: their partners only
    assert set(ids(acme.admin)) == set(ids(acme.marketing)) == {str(mine.uuid), str(theirs.uuid)}
    assert ids(acme.admin, "?activity_type=webinar") == [str(theirs.uuid)]
    assert ids(acme.admin, "?status=approved") == []
    for user in (acme.partner_sales, acme.sales):
        refused(acme.api(user).get(REQUESTS), 403)


def test_request_detail_owner_member_outsider(acme, globex):
    fund, allocation = funded(acme)
    mine = submitted(acme, allocation)
    with tenant_context(acme.tenant):
        theirs = mdf.request_submit(
            actor=actor(acme, acme.other_partner_admin),
            allocation=second_partner_allocation(acme, fund),
            **request_data(),
        )
    _f, foreign_allocation = funded(globex)
    foreign = submitted(globex, foreign_allocation)

    response = acme.api(acme.partner_admin).get(f"{REQUESTS}{mine.uuid}/")
    assert response.status_code == 200
    body = response.json()
    assert body["amount"] == "4000.00" and body["currency"] == fund.currency
    assert (body["status"], body["status_label"]) == (
        "manager_review",
        "Awaiting the channel manager",
    )
    assert (body["activity_type"], body["activity_type_label"]) == ("event", "Event")
    assert body["fund"] == str(fund.uuid) and body["allocation"] == str(allocation.uuid)
    assert body["claim"] is None and body["claim_status"] is None
    assert [(e["action"], e["action_label"]) for e in body["events"]] == [
        ("submitted", "requested the funds")
    ]
    assert acme.api(acme.manager).get(f"{REQUESTS}{mine.uuid}/").status_code == 200
    refused(acme.api(acme.partner_admin).get(f"{REQUESTS}{theirs.uuid}/"), 404)
    refused(acme.api(acme.manager).get(f"{REQUESTS}{theirs.uuid}/"), 404)
    refused(acme.api(acme.admin).get(f"{REQUESTS}{foreign.uuid}/"), 404)
    refused(acme.api(acme.admin).get(f"{REQUESTS}12345/"), 404)
    refused(acme.api(acme.partner_sales).get(f"{REQUESTS}{mine.uuid}/"), 403)


def test_partner_requests_funds_and_they_are_held(acme):
    _fund, allocation = funded(acme, amount="10000")
    payload = as_json(request_data(amount="2500.5"))
    response = acme.api(acme.partner_marketing).post(
        REQUESTS, {**payload, "allocation": str(allocation.uuid)}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "manager_review" and body["amount"] == "2500.50"
    assert body["partner"] == str(acme.partner.uuid)
    assert body["submitted_by"] == acme.partner_marketing.email
    assert balances(acme, allocation) == (D("2500.50"), D("0"), D("0"), D("7499.50"))


def test_vendor_roles_and_partner_sales_cannot_request_funds(acme):
    _fund, allocation = funded(acme)
    payload = {**as_json(request_data()), "allocation": str(allocation.uuid)}
    before = written(acme)
    for user in (acme.admin, acme.manager, acme.marketing, acme.partner_sales):
        refused(acme.api(user).post(REQUESTS, payload), 403)
    assert written(acme) == before


def test_request_on_another_partners_or_tenants_allocation_is_404(acme, globex):
    fund, _allocation = funded(acme)
    other_allocation = second_partner_allocation(acme, fund)
    _f, foreign_allocation = funded(globex)
    before = written(acme)
    api = acme.api(acme.partner_admin)
    for allocation in (other_allocation, foreign_allocation):
        payload = {**as_json(request_data()), "allocation": str(allocation.uuid)}
        refused(api.post(REQUESTS, payload), 404)
    assert written(acme) == before


def test_request_bad_input_is_400_with_field_errors_and_writes_nothing(acme):
    _fund, allocation = funded(acme, amount="10000")
    before = written(acme)
    api = acme.api(acme.partner_admin)
    today = timezone.localdate()

    def post(**overrides):
        payload = {**as_json(request_data()), "allocation": str(allocation.uuid), **overrides}
        return api.post(REQUESTS, payload)

    assert field_errors(post(amount="0", title=" ", activity_type="party")) == {
        "amount",
        "title",
        "activity_type",
    }
    assert field_errors(post(allocation="nope", expected_leads="-1")) == {
        "allocation",
        "expected_leads",
    }
    assert field_errors(post(expected_leads="99999999999")) == {"expected_leads"}
    assert field_errors(post(ends_on=(today - timezone.timedelta(days=400)).isoformat())) == {
        "ends_on"
    }
    assert field_errors(post(starts_on="2000-01-01", ends_on="2000-01-02")) == {"starts_on"}
    assert field_errors(post(ends_on="9999-12-31")) == {"ends_on"}  # no claim deadline after it
    too_much = post(amount="10000.01")
    assert field_errors(too_much) == {"amount"}
    assert "Not enough funds" in too_much.json()["amount"][0]
    nul = api.post(
        REQUESTS,
        {**as_json(request_data(title="A\x00B")), "allocation": str(allocation.uuid)},
        format="json",
    )
    assert nul.status_code == 400 and nul.json()["detail"]
    assert written(acme) == before
    assert balances(acme, allocation) == (D("0"), D("0"), D("0"), D("10000"))


def test_locked_mdf_benefit_answers_403_with_the_missing_steps(acme):
    from onboarding.models import Benefit, BenefitGate

    _fund, allocation = funded(acme)
    with tenant_context(acme.tenant):
        BenefitGate.objects.filter(benefit=Benefit.MDF).delete()  # back to the default gate
    before = written(acme)
    payload = {**as_json(request_data()), "allocation": str(allocation.uuid)}
    for body in (payload, {**payload, "amount": "0"}):  # field errors wait for the gate
        response = acme.api(acme.partner_admin).post(REQUESTS, body)
        refused(response, 403)
        assert response.json()["code"] == "benefit_locked" and response.json()["missing"]
    assert written(acme) == before


def test_channel_manager_decides_then_marketing_above_the_threshold(acme):
    _fund, allocation = funded(acme, amount="10000", marketing_threshold="3000")
    fund_request = submitted(acme, allocation, amount=D("4000"))
    url = f"{REQUESTS}{fund_request.uuid}/decide/"
    # Marketing's step comes after the manager's: 403 while the manager has it.
    refused(acme.api(acme.marketing).post(url, {"decision": "approve"}), 403)
    response = acme.api(acme.manager).post(url, {"decision": "approve"})
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "marketing_review"
    response = acme.api(acme.marketing).post(
        url, {"decision": "approve", "amount": "3500", "comment": "Booth only"}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["approved_amount"]) == ("approved", "3500.00")
    assert body["claim_deadline"] and body["events"][-1]["comment"] == "Booth only"
    assert balances(acme, allocation) == (D("0"), D("3500"), D("0"), D("6500"))
    # Decided: a second decision is refused with the reason.
    again = acme.api(acme.admin).post(url, {"decision": "reject", "comment": "x"})
    assert field_errors(again) == {"detail"}


def test_decide_refused_to_roles_without_the_step_and_404_outside(acme, globex):
    fund, allocation = funded(acme)
    fund_request = submitted(acme, allocation)
    with tenant_context(acme.tenant):
        unmanaged = mdf.request_submit(
            actor=actor(acme, acme.other_partner_admin),
            allocation=second_partner_allocation(acme, fund),
            **request_data(),
        )
    _f, foreign_allocation = funded(globex)
    foreign = submitted(globex, foreign_allocation)
    before = written(acme)
    for user in (acme.executive, acme.partner_admin, acme.sales):
        refused(
            acme.api(user).post(f"{REQUESTS}{fund_request.uuid}/decide/", {"decision": "approve"}),
            403,
        )
    # The manager does not see a partner they do not manage; nobody here sees globex's request.
    refused(
        acme.api(acme.manager).post(f"{REQUESTS}{unmanaged.uuid}/decide/", {"decision": "approve"}),
        404,
    )
    refused(
        acme.api(acme.admin).post(f"{REQUESTS}{foreign.uuid}/decide/", {"decision": "approve"}),
        404,
    )
    assert written(acme) == before


def test_decide_bad_input_is_400_and_changes_nothing(acme):
    _fund, allocation = funded(acme)
    fund_request = submitted(acme, allocation)
    url = f"{REQUESTS}{fund_request.uuid}/decide/"
    api = acme.api(acme.manager)
    before = written(acme)
    assert field_errors(api.post(url, {"decision": "maybe"})) == {"decision"}
    assert field_errors(api.post(url, {})) == {"decision"}
    assert field_errors(api.post(url, {"decision": "reject"})) == {"comment"}
    assert field_errors(api.post(url, {"decision": "changes", "comment": " "})) == {"comment"}
    assert field_errors(api.post(url, {"decision": "approve", "amount": "4000.01"})) == {"amount"}
    assert field_errors(api.post(url, {"decision": "approve", "amount": "10"})) == {"comment"}
    assert field_errors(api.post(url, {"decision": "approve", "amount": "abc"})) == {"amount"}
    assert written(acme) == before
    with tenant_context(acme.tenant):
        fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.MANAGER_REVIEW
    assert balances(acme, allocation) == (D("4000"), D("0"), D("0"), D("6000"))


def test_partner_resubmits_a_request_sent_back_for_changes(acme):
    _fund, allocation = funded(acme, amount="10000")
    fund_request = submitted(acme, allocation)
    url = f"{REQUESTS}{fund_request.uuid}/resubmit/"
    payload = as_json(request_data(amount="3000"))
    # Not sent back yet: refused with the reason.
    assert field_errors(acme.api(acme.partner_admin).post(url, payload)) == {"detail"}
    response = acme.api(acme.manager).post(
        f"{REQUESTS}{fund_request.uuid}/decide/", {"decision": "changes", "comment": "Smaller"}
    )
    assert response.json()["status"] == "changes_requested"
    refused(acme.api(acme.manager).post(url, payload), 403)
    assert field_errors(acme.api(acme.partner_admin).post(url, {**payload, "amount": "-1"})) == {
        "amount"
    }
    response = acme.api(acme.partner_admin).post(url, {**payload, "comment": "Halved"})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["amount"]) == ("manager_review", "3000.00")
    assert balances(acme, allocation) == (D("3000"), D("0"), D("0"), D("7000"))


def test_partner_withdraws_its_request_others_cannot(acme, globex):
    _fund, allocation = funded(acme, amount="10000")
    fund_request = submitted(acme, allocation)
    url = f"{REQUESTS}{fund_request.uuid}/withdraw/"
    _f, foreign_allocation = funded(globex)
    foreign = submitted(globex, foreign_allocation)
    before = written(acme)
    for user in (acme.admin, acme.manager, acme.partner_sales):
        refused(acme.api(user).post(url), 403)
    refused(acme.api(acme.other_partner_admin).post(url), 404)
    refused(acme.api(acme.partner_admin).post(f"{REQUESTS}{foreign.uuid}/withdraw/"), 404)
    assert written(acme) == before
    response = acme.api(acme.partner_marketing).post(url, {"comment": "Cancelled"})
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["status_label"]) == (
        "withdrawn",
        "Withdrawn",
    )
    assert balances(acme, allocation) == (D("0"), D("0"), D("0"), D("10000"))
    assert field_errors(acme.api(acme.partner_admin).post(url)) == {"detail"}  # once only


# --- Claims ----------------------------------------------------------------------------------


def claim_payload(fund_request, **overrides) -> dict:
    return {
        "request": str(fund_request.uuid),
        "spent": "3800",
        "spent_currency": fund_request.currency,
        "leads": "31",
        "pipeline": "150000",
        "notes": "Full room",
        "files": [proof(), proof("stand.png", PNG)],
        "kinds": ["invoice", "photo"],
        **overrides,
    }


def test_partner_claims_an_approved_request_with_proof_files(acme):
    _fund, allocation = funded(acme)
    fund_request = approved(acme, allocation)
    response = acme.api(acme.partner_marketing).post(
        CLAIMS, claim_payload(fund_request), format="multipart"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["request"] == str(fund_request.uuid) and body["amount"] == "3800.00"
    assert (body["status"], body["status_label"]) == ("submitted", "Awaiting review")
    assert body["leads"] == 31 and body["is_late"] is False and body["payout"] is None
    assert [(f["kind"], f["kind_label"], f["original_name"]) for f in body["files"]] == [
        ("invoice", "Invoice", "invoice.pdf"),
        ("photo", "Photo", "stand.png"),
    ]
    assert body["files"][0]["download_url"].startswith("/mdf/proofs/")
    # The proof downloads for its partner (the link is the access-checked page route).
    download = acme.client(acme.partner_admin).get(body["files"][0]["download_url"])
    assert download.status_code == 200
    request_body = acme.api(acme.partner_admin).get(f"{REQUESTS}{fund_request.uuid}/").json()
    assert request_body["status"] == "claimed" and request_body["claim"] == body["id"]


def test_claims_refused_to_other_roles_and_404_outside(acme, globex):
    fund, allocation = funded(acme)
    fund_request = approved(acme, allocation)
    _f, foreign_allocation = funded(globex)
    foreign = approved(globex, foreign_allocation)
    before = written(acme)
    for user in (acme.admin, acme.manager, acme.partner_sales):
        refused(acme.api(user).post(CLAIMS, claim_payload(fund_request), format="multipart"), 403)
    refused(
        acme.api(acme.other_partner_admin).post(
            CLAIMS, claim_payload(fund_request), format="multipart"
        ),
        404,
    )
    refused(
        acme.api(acme.partner_admin).post(CLAIMS, claim_payload(foreign), format="multipart"), 404
    )
    assert written(acme) == before


def test_claim_bad_input_is_400_with_field_errors_and_writes_nothing(acme):
    _fund, allocation = funded(acme)
    fund_request = approved(acme, allocation)
    pending = submitted(acme, allocation, title="Not approved yet", amount=D("100"))
    before = written(acme)
    api = acme.api(acme.partner_admin)

    def post(**overrides):
        return api.post(CLAIMS, claim_payload(fund_request, **overrides), format="multipart")

    too_much = post(spent="4000.01")
    assert field_errors(too_much) == {"spent"}
    assert "cannot exceed the approved amount" in too_much.json()["spent"][0]
    assert field_errors(post(files=[], kinds=[])) == {"files"}
    assert field_errors(post(kinds=["invoice"])) == {"kinds"}
    assert field_errors(post(kinds=["invoice", "selfie"])) == {"kinds"}
    assert field_errors(post(spent="abc", leads="-3")) == {"spent", "leads"}
    assert field_errors(post(spent_currency="ZZZ")) == {"spent_currency"}
    executable = proof("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 64)
    assert field_errors(post(files=[executable], kinds=["invoice"])) == {"files"}
    assert field_errors(post(request="nope")) == {"request"}
    not_approved = api.post(CLAIMS, claim_payload(pending), format="multipart")
    assert field_errors(not_approved) == {"detail"}
    assert written(acme) == before
    with tenant_context(acme.tenant):
        fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.APPROVED


def test_claims_list_and_detail_are_scoped(acme, globex):
    fund, allocation = funded(acme)
    claim = claimed(acme, allocation)
    _f, foreign_allocation = funded(globex)
    foreign = claimed(globex, foreign_allocation)
    for user in (acme.partner_admin, acme.manager, acme.admin, acme.executive):
        rows = acme.api(user).get(CLAIMS).json()["results"]
        assert [r["id"] for r in rows] == [str(claim.uuid)]
    assert acme.api(acme.other_partner_admin).get(CLAIMS).json()["results"] == []
    refused(acme.api(acme.other_partner_admin).get(f"{CLAIMS}{claim.uuid}/"), 404)
    refused(acme.api(acme.admin).get(f"{CLAIMS}{foreign.uuid}/"), 404)
    refused(acme.api(acme.partner_sales).get(CLAIMS), 403)
    body = acme.api(acme.manager).get(f"{CLAIMS}{claim.uuid}/").json()
    assert body["spent"] == "3000.00" and body["approved_request_amount"] == "4000.00"
    assert body["partner"] == str(acme.partner.uuid) and body["currency"] == fund.currency


def test_reviewer_decides_a_claim(acme):
    _fund, allocation = funded(acme, amount="10000")
    claim = claimed(acme, allocation, spent="3000")
    url = f"{CLAIMS}{claim.uuid}/decide/"
    before = written(acme)
    for user in (acme.executive, acme.partner_admin, acme.sales):
        refused(acme.api(user).post(url, {"decision": "approve"}), 403)
    api = acme.api(acme.manager)
    assert field_errors(api.post(url, {"decision": "pay"})) == {"decision"}
    assert field_errors(api.post(url, {"decision": "reject"})) == {"comment"}
    assert field_errors(api.post(url, {"decision": "approve", "amount": "3000.01"})) == {"amount"}
    assert written(acme) == before
    response = api.post(url, {"decision": "approve"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["approved_amount"]) == ("approved", "3000.00")
    # The 1,000.00 approved but not claimed goes back to the balance.
    assert balances(acme, allocation) == (D("0"), D("3000"), D("0"), D("7000"))
    assert field_errors(api.post(url, {"decision": "approve"})) == {"detail"}


def test_claim_of_another_tenant_or_unmanaged_partner_is_404_to_decide(acme, globex):
    _f, foreign_allocation = funded(globex)
    foreign = claimed(globex, foreign_allocation)
    refused(
        acme.api(acme.admin).post(f"{CLAIMS}{foreign.uuid}/decide/", {"decision": "approve"}), 404
    )
    with tenant_context(globex.tenant):
        assert Claim.objects.get().status == ClaimStatus.SUBMITTED


# --- Payouts and balance ---------------------------------------------------------------------


def test_mdf_managers_record_a_payout(acme):
    _fund, allocation = funded(acme, amount="10000")
    claim = claim_approved(acme, allocation)
    today = timezone.localdate().isoformat()
    payload = {
        "claim": str(claim.uuid),
        "method": "bank_transfer",
        "reference": "TRX-1",
        "paid_on": today,
    }
    before = written(acme)
    for user in (acme.manager, acme.executive, acme.partner_admin):
        refused(acme.api(user).post(PAYOUTS, payload), 403)
    assert written(acme) == before
    response = acme.api(acme.marketing).post(PAYOUTS, payload)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["currency"]) == ("3000.00", allocation.fund.currency)
    assert (body["method"], body["method_label"]) == ("bank_transfer", "Bank transfer")
    assert body["claim"] == str(claim.uuid) and body["reference"] == "TRX-1"
    assert body["remittance_url"].endswith("/remittance.pdf")
    assert balances(acme, allocation) == (D("0"), D("0"), D("3000"), D("7000"))
    claim_body = acme.api(acme.partner_admin).get(f"{CLAIMS}{claim.uuid}/").json()
    assert claim_body["status"] == "paid" and claim_body["payout"] == body["id"]
    # Paid once: a second payout is refused.
    assert field_errors(acme.api(acme.admin).post(PAYOUTS, payload)) == {"detail"}


def test_payout_bad_input_is_400_and_writes_nothing(acme, globex):
    _fund, allocation = funded(acme)
    claim = claim_approved(acme, allocation)
    _f, second_allocation = funded(acme, name="Second fund")
    unapproved = claimed(acme, second_allocation)
    _g, foreign_allocation = funded(globex)
    foreign = claim_approved(globex, foreign_allocation)
    tomorrow = (timezone.localdate() + timezone.timedelta(days=1)).isoformat()
    before = written(acme)
    api = acme.api(acme.admin)
    good = {
        "claim": str(claim.uuid),
        "method": "check",
        "reference": "R-1",
        "paid_on": "2026-01-01",
    }
    assert field_errors(api.post(PAYOUTS, {**good, "method": "cash", "paid_on": "soon"})) == {
        "method",
        "paid_on",
    }
    assert field_errors(api.post(PAYOUTS, {**good, "paid_on": tomorrow})) == {"paid_on"}
    assert field_errors(api.post(PAYOUTS, {**good, "reference": " "})) == {"reference"}
    assert field_errors(api.post(PAYOUTS, {**good, "claim": "x"})) == {"claim"}
    assert field_errors(api.post(PAYOUTS, {**good, "claim": str(unapproved.uuid)})) == {"detail"}
    refused(api.post(PAYOUTS, {**good, "claim": str(foreign.uuid)}), 404)
    assert written(acme) == before


def test_payouts_are_listed_by_scope(acme, globex):
    _fund, allocation = funded(acme)
    claim = claim_approved(acme, allocation)
    with tenant_context(acme.tenant):
        payout = mdf.payout_record(
            actor=actor(acme, acme.admin),
            claim=claim,
            method="credit_note",
            reference="CN-9",
            paid_on=timezone.localdate(),
        )
    _g, foreign_allocation = funded(globex)
    foreign_claim = claim_approved(globex, foreign_allocation)
    with tenant_context(globex.tenant):
        foreign = mdf.payout_record(
            actor=actor(globex, globex.admin),
            claim=foreign_claim,
            method="check",
            reference="G-1",
            paid_on=timezone.localdate(),
        )
    for user in (acme.partner_admin, acme.partner_marketing, acme.manager, acme.executive):
        rows = acme.api(user).get(PAYOUTS).json()["results"]
        assert [r["id"] for r in rows] == [str(payout.uuid)]
    assert acme.api(acme.admin).get(f"{PAYOUTS}?method=check").json()["results"] == []
    assert acme.api(acme.other_partner_admin).get(PAYOUTS).json()["results"] == []
    refused(acme.api(acme.other_partner_admin).get(f"{PAYOUTS}{payout.uuid}/"), 404)
    refused(acme.api(acme.admin).get(f"{PAYOUTS}{foreign.uuid}/"), 404)
    refused(acme.api(acme.sales).get(PAYOUTS), 403)
    refused(acme.api(acme.partner_sales).get(PAYOUTS), 403)


def test_partner_balance_totals_per_currency(acme):
    fund, allocation = funded(acme, amount="10000")
    approved(acme, allocation, amount=D("4000"))
    submitted(acme, allocation, amount=D("1500"))
    second_partner_allocation(acme, fund)  # another partner's money is not in the balance
    response = acme.api(acme.partner_marketing).get(BALANCE)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["partner"] == str(acme.partner.uuid)
    assert body["totals"] == [
        {
            "currency": fund.currency,
            "allocated": "10000.00",
            "held": "1500.00",
            "committed": "4000.00",
            "paid": "0.00",
            "available": "4500.00",
        }
    ]
    assert [a["id"] for a in body["allocations"]] == [str(allocation.uuid)]
    other = acme.api(acme.other_partner_admin).get(BALANCE).json()
    assert other["totals"][0]["allocated"] == "5000.00"
    for user in (acme.admin, acme.manager, acme.partner_sales):
        refused(acme.api(user).get(BALANCE), 403)


def test_partner_without_allocations_has_an_empty_balance(acme):
    unlock_mdf(acme)
    body = acme.api(acme.partner_admin).get(BALANCE).json()
    assert body == {"partner": str(acme.partner.uuid), "totals": [], "allocations": []}


# --- API keys, query counts, schema ----------------------------------------------------------


def test_partner_api_key_requests_funds_for_its_organisation(acme):
    _fund, allocation = funded(acme, amount="10000")
    with tenant_context(acme.tenant):
        _key, plaintext = tenancy_services.api_key_create(
            actor=actor_for_user(acme.partner_admin, acme.tenant),
            name="Marketing automation",
            role="partner_marketing",
        )
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    payload = {**as_json(request_data()), "allocation": str(allocation.uuid)}
    response = client.post(REQUESTS, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["partner"] == str(acme.partner.uuid)
    assert [r["id"] for r in client.get(REQUESTS).json()["results"]] == [response.json()["id"]]
    assert client.get(BALANCE).json()["totals"][0]["held"] == "4000.00"
    refused(client.get(FUNDS), 403)


@pytest.mark.parametrize(
    "path", [REQUESTS, CLAIMS, PAYOUTS, FUNDS, "allocations"], ids=lambda p: p.strip("/")
)
def test_lists_cost_the_same_queries_for_one_row_or_three(acme, path):
    fund, allocation = funded(acme, amount="50000")
    url = f"{FUNDS}{fund.uuid}/allocations/" if path == "allocations" else path

    def add_row(i):
        if path in (REQUESTS, CLAIMS, PAYOUTS):
            claim = claim_approved(acme, allocation)
            with tenant_context(acme.tenant):
                mdf.payout_record(
                    actor=actor(acme, acme.admin),
                    claim=claim,
                    method="check",
                    reference=f"R-{i}",
                    paid_on=timezone.localdate(),
                )
        elif path == FUNDS:
            make_fund(acme, name=f"Fund {i}")
        else:
            with tenant_context(acme.tenant):
                partner = PartnerOrganizationFactory(tenant=acme.tenant, name=f"P{i}")
                ledger.allocation_set(
                    actor=actor(acme, acme.admin), fund=fund, partner=partner, amount="10"
                )

    api = acme.api(acme.admin)
    add_row(0)
    api.get(url)  # warm per-process caches

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(url).status_code == 200
        return len(ctx)

    one = count()
    add_row(1)
    add_row(2)
    assert count() == one


def test_schema_documents_the_mdf_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path, method in (
        ("/api/v1/mdf-funds/", "post"),
        ("/api/v1/mdf-funds/{id}/", "patch"),
        ("/api/v1/mdf-funds/{id}/allocations/", "post"),
        ("/api/v1/mdf-funds/{id}/run-allocations/", "post"),
        ("/api/v1/mdf-requests/", "post"),
        ("/api/v1/mdf-requests/{id}/decide/", "post"),
        ("/api/v1/mdf-requests/{id}/withdraw/", "post"),
        ("/api/v1/mdf-claims/", "post"),
        ("/api/v1/mdf-claims/{id}/decide/", "post"),
        ("/api/v1/mdf-payouts/", "post"),
        ("/api/v1/mdf-balance/", "get"),
    ):
        assert method in paths[path], path
    claim_body = paths["/api/v1/mdf-claims/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in claim_body
