"""Tiers API: tiers, tier proposals (decide), revenue records and tier progress."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from partners.models import ProposalStatus, RevenueRecord, Tier, TierProposal
from partners.services import tiers as services
from tenancy.context import tenant_context

from .test_tiers_support import activate, add_revenue, make_ladder

pytestmark = pytest.mark.django_db


def gold_proposal(world, partner):
    with tenant_context(world.tenant):
        if not Tier.objects.exists():
            make_ladder(world)
        silver = Tier.objects.get(rank=2)
    activate(world, partner, tier=silver)
    add_revenue(world, partner, "1200000", timezone.localdate() - timedelta(days=10))
    with tenant_context(world.tenant):
        return services.evaluate_partner(partner=partner)


# --- tiers ------------------------------------------------------------------------------------


def test_partner_users_and_staff_read_tiers(acme):
    make_ladder(acme)
    for user in (acme.partner_sales, acme.executive, acme.admin):
        response = acme.api(user).get("/api/v1/tiers/")
        assert response.status_code == 200
        assert [t["name"] for t in response.json()["results"]] == ["Registered", "Silver", "Gold"]


def test_direct_sales_cannot_read_tiers(acme):
    make_ladder(acme)
    assert acme.api(acme.sales).get("/api/v1/tiers/").status_code == 403


def test_admin_creates_and_updates_tiers_others_get_403(acme):
    payload = {"name": "Registered", "rank": 1, "discount_margin_pct": "10"}
    assert acme.api(acme.executive).post("/api/v1/tiers/", payload).status_code == 403
    assert acme.api(acme.partner_admin).post("/api/v1/tiers/", payload).status_code == 403
    api = acme.api(acme.admin)
    created = api.post("/api/v1/tiers/", payload)
    assert created.status_code == 201, created.json()
    tier_id = created.json()["id"]
    bad = api.post("/api/v1/tiers/", {"name": "Other", "rank": 1})
    assert bad.status_code == 400 and "rank" in bad.json()
    patched = api.patch(
        f"/api/v1/tiers/{tier_id}/", {"perks": "Portal", "required_certifications": ["Basics"]}
    )
    assert patched.status_code == 200
    assert patched.json()["required_certifications"] == ["Basics"]
    assert acme.api(acme.executive).patch(f"/api/v1/tiers/{tier_id}/", {}).status_code == 403


def test_tier_of_another_tenant_is_404(acme, globex):
    _r, silver, _g = make_ladder(globex)
    assert acme.api(acme.admin).get(f"/api/v1/tiers/{silver.uuid}/").status_code == 404


# --- tier proposals ---------------------------------------------------------------------------


def test_proposals_are_scoped_and_partners_cannot_list_them(acme):
    mine = gold_proposal(acme, acme.partner)
    other = gold_proposal(acme, acme.other_partner)
    admin_ids = {
        p["id"] for p in acme.api(acme.admin).get("/api/v1/tier-proposals/").json()["results"]
    }
    assert admin_ids == {str(mine.uuid), str(other.uuid)}
    manager = acme.api(acme.manager).get("/api/v1/tier-proposals/?status=pending").json()
    assert [p["id"] for p in manager["results"]] == [str(mine.uuid)]
    assert manager["results"][0]["to_tier_name"] == "Gold"
    assert any(r["key"] == "revenue" and r["met"] for r in manager["results"][0]["reasons"])
    assert acme.api(acme.partner_admin).get("/api/v1/tier-proposals/").status_code == 403


def test_decide_trio(acme, globex):
    mine = gold_proposal(acme, acme.partner)
    other = gold_proposal(acme, acme.other_partner)
    foreign = gold_proposal(globex, globex.partner)
    url = "/api/v1/tier-proposals/{}/decide/"
    # Wrong role: executives read proposals but decide nothing.
    assert (
        acme.api(acme.executive).post(url.format(mine.uuid), {"approve": True}).status_code == 403
    )
    # Outside the manager's partners, and another tenant's: 404.
    assert acme.api(acme.manager).post(url.format(other.uuid), {"approve": True}).status_code == 404
    assert acme.api(acme.admin).post(url.format(foreign.uuid), {"approve": True}).status_code == 404
    # The partner's manager: ok.
    response = acme.api(acme.manager).post(url.format(mine.uuid), {"approve": True, "note": "QBR"})
    assert response.status_code == 200 and response.json()["status"] == "applied"
    again = acme.api(acme.admin).post(url.format(mine.uuid), {"approve": False, "note": "x"})
    assert again.status_code == 400
    with tenant_context(acme.tenant):
        assert TierProposal.objects.get(pk=other.pk).status == ProposalStatus.PENDING
        acme.partner.refresh_from_db()
        assert acme.partner.tier.name == "Gold"


def test_reject_without_note_is_a_400(acme):
    proposal = gold_proposal(acme, acme.partner)
    response = acme.api(acme.admin).post(
        f"/api/v1/tier-proposals/{proposal.uuid}/decide/", {"approve": False}
    )
    assert response.status_code == 400 and "note" in response.json()


# --- revenue records --------------------------------------------------------------------------


def revenue_payload(partner, **overrides):
    data = {
        "partner": str(partner.uuid),
        "kind": "sourced",
        "customer": "Atlas Freight",
        "product": "Compute",
        "amount": "12000.00",
        "currency": "USD",
        "booked_on": timezone.localdate().isoformat(),
    }
    data.update(overrides)
    return data


def test_revenue_records_are_scoped(acme, globex):
    add_revenue(acme, acme.partner, "100", timezone.localdate())
    add_revenue(acme, acme.other_partner, "200", timezone.localdate())
    foreign = add_revenue(globex, globex.partner, "300", timezone.localdate())

    def amounts(user):
        response = acme.api(user).get("/api/v1/revenue-records/")
        assert response.status_code == 200
        return sorted(r["amount"] for r in response.json()["results"])

    assert amounts(acme.admin) == ["100.00", "200.00"]
    assert amounts(acme.manager) == ["100.00"]
    assert amounts(acme.partner_sales) == ["100.00"]
    assert amounts(acme.other_partner_admin) == ["200.00"]
    assert acme.api(acme.sales).get("/api/v1/revenue-records/").status_code == 403
    url = f"/api/v1/revenue-records/{foreign.uuid}/"
    assert acme.api(acme.admin).get(url).status_code == 404


def test_admin_records_revenue_through_the_api(acme):
    response = acme.api(acme.admin).post("/api/v1/revenue-records/", revenue_payload(acme.partner))
    assert response.status_code == 201, response.json()
    assert response.json()["source"] == "api"
    with tenant_context(acme.tenant):
        assert RevenueRecord.objects.get().customer == "Atlas Freight"


def test_wrong_currency_is_a_400_with_the_reason(acme):
    response = acme.api(acme.admin).post(
        "/api/v1/revenue-records/", revenue_payload(acme.partner, currency="EUR")
    )
    assert response.status_code == 400
    assert "USD" in response.json()["currency"][0]


def test_partner_users_and_executives_cannot_record_revenue(acme):
    for user in (acme.partner_admin, acme.executive):
        response = acme.api(user).post("/api/v1/revenue-records/", revenue_payload(acme.partner))
        assert response.status_code == 403


def test_manager_cannot_record_for_a_partner_outside_their_scope(acme, globex):
    response = acme.api(acme.manager).post(
        "/api/v1/revenue-records/", revenue_payload(acme.other_partner)
    )
    assert response.status_code == 400 and "partner" in response.json()
    response = acme.api(acme.admin).post(
        "/api/v1/revenue-records/", revenue_payload(globex.partner)
    )
    assert response.status_code == 400 and "partner" in response.json()
    with tenant_context(acme.tenant):
        assert not RevenueRecord.objects.exists()


# --- tier progress ----------------------------------------------------------------------------


def test_tier_progress_for_own_partner_staff_and_404_outside(acme, globex):
    _r, silver, _g = make_ladder(acme)
    activate(acme, acme.partner, tier=silver)
    add_revenue(acme, acme.partner, "250000", timezone.localdate())
    url = f"/api/v1/tier-progress/{acme.partner.uuid}/"
    body = acme.api(acme.partner_sales).get(url).json()
    assert body["current_tier_name"] == "Silver" and body["next_tier_name"] == "Gold"
    assert body["requirements"][0]["pct"] == 25 and body["requirements"][0]["have"] == "250000.00"
    assert acme.api(acme.admin).get(url).status_code == 200
    other = f"/api/v1/tier-progress/{acme.other_partner.uuid}/"
    assert acme.api(acme.partner_sales).get(other).status_code == 404
    assert acme.api(acme.sales).get(url).status_code == 403
    foreign = f"/api/v1/tier-progress/{globex.partner.uuid}/"
    assert acme.api(acme.admin).get(foreign).status_code == 404


def test_tier_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_HOST="localhost").content.decode()
    for path in (
        "/api/v1/tiers/",
        "/api/v1/tier-proposals/{id}/decide/",
        "/api/v1/revenue-records/",
        "/api/v1/tier-progress/{id}/",
    ):
        assert path in schema
