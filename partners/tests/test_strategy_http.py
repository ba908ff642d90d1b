"""Strategy pages and API over HTTP: owner / wrong-role (403) / other-tenant (404) on each,
htmx partials, the calculator's live preview and baselines, flat query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import FinancialModel, GtmPlay, Motion, SwotItem, Tier
from partners.services.strategy import (
    TierInput,
    financial_model_save,
    gtm_play_create,
    swot_item_add,
)
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_play(world, name="MSP co-sell", **fields):
    with tenant_context(world.tenant):
        return gtm_play_create(
            actor=actor_for_user(world.admin, world.tenant),
            name=name,
            motion=fields.get("motion", Motion.CO_SELL),
            target_segments=fields.get("target_segments", "Mid-market EMEA"),
            owner=fields.get("owner", world.manager),
        )


def make_item(world, quadrant="S", text="Strong brand"):
    with tenant_context(world.tenant):
        return swot_item_add(
            actor=actor_for_user(world.admin, world.tenant), quadrant=quadrant, text=text
        )


def make_baseline(world, period="FY2027"):
    with tenant_context(world.tenant):
        return financial_model_save(
            actor=actor_for_user(world.admin, world.tenant),
            period=period,
            currency="USD",
            tiers=[TierInput(name="Tier 1", partners=10, avg_revenue=Decimal("100000"))],
            margin_pct=Decimal("20"),
            mdf_pct=Decimal("5"),
            management_cost_per_partner=Decimal("5000"),
        )


def calculator_data(**overrides):
    # Tiers: Gold 5 × 200,000.00, Silver 20 × 50,000.50, Registered 40 × 10,000 (see
    # test_strategy.py for the hand-worked numbers).
    data = {
        "tier_0_partners": "5",
        "tier_0_avg_revenue": "200000.00",
        "tier_1_partners": "20",
        "tier_1_avg_revenue": "50000.50",
        "tier_2_partners": "40",
        "tier_2_avg_revenue": "10000",
        "margin_pct": "20",
        "mdf_pct": "2.5",
        "management_cost_per_partner": "3000",
        "currency": "USD",
        "period": "FY2027",
        "notes": "",
    }
    data.update(overrides)
    return data


def play_url(play, name="console_gtm_play"):
    return reverse(name, kwargs={"play_uuid": play.uuid})


# --- Strategy page and plays ---------------------------------------------------------------------


def test_strategy_page_for_admin_read_only_for_executive_closed_to_others(acme, globex):
    make_play(acme, name="Acme play")
    make_play(globex, name="Globex play")
    make_item(acme, text="Acme strength")
    response = acme.client(acme.admin).get(reverse("console_strategy"))
    assert response.status_code == 200
    assert [p.name for p in response.context["plays"]] == ["Acme play"]
    assert b"Acme strength" in response.content and response.context["play_form"] is not None
    assert reverse("console_financial_model").encode() in response.content
    read_only = acme.client(acme.executive).get(reverse("console_strategy"))
    assert read_only.status_code == 200 and read_only.context["play_form"] is None
    assert reverse("console_swot_add").encode() not in read_only.content
    for user in (acme.sales, acme.partner_admin):
        assert acme.client(user).get(reverse("console_strategy")).status_code == 403


def test_admin_creates_a_play_and_executive_may_not(acme):
    data = {
        "name": "Marketplace private offers",
        "motion": Motion.MARKETPLACE,
        "target_segments": "Enterprises with AWS commits",
        "description": "CPPO",
        "owner": acme.marketing.pk,
    }
    assert (
        acme.client(acme.executive).post(reverse("console_gtm_play_create"), data).status_code
        == 403
    )
    response = acme.client(acme.admin).post(reverse("console_gtm_play_create"), data)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        play = GtmPlay.objects.get()
    assert (play.name, play.motion, play.owner) == (data["name"], "marketplace", acme.marketing)


def test_play_form_errors_keep_the_input_and_refuse_partner_owners(acme):
    data = {
        "name": "Kept name",
        "motion": Motion.RESALE,
        "target_segments": "",
        "owner": acme.partner_admin.pk,
    }
    response = acme.client(acme.admin).post(reverse("console_gtm_play_create"), data)
    assert response.status_code == 400
    errors = response.context["play_form"].errors
    assert "target_segments" in errors and "owner" in errors
    assert b"Kept name" in response.content


def test_edit_and_deactivate_a_play(acme, globex):
    play = make_play(acme)
    client = acme.client(acme.admin)
    assert client.get(play_url(play)).status_code == 200
    response = client.post(
        play_url(play),
        {"name": "Renamed", "motion": Motion.REFERRAL, "target_segments": "SMB", "owner": ""},
    )
    assert response.status_code == 302
    play.refresh_from_db()
    assert (play.name, play.motion, play.owner) == ("Renamed", "referral", None)
    assert (
        client.post(play_url(play, "console_gtm_play_set_active"), {"active": "0"}).status_code
        == 302
    )
    play.refresh_from_db()
    assert not play.is_active

    executive = acme.client(acme.executive)
    assert executive.get(play_url(play)).status_code == 200
    assert executive.post(play_url(play), {"name": "x"}).status_code == 403
    assert executive.post(play_url(play, "console_gtm_play_set_active")).status_code == 403
    theirs = make_play(globex)
    assert client.get(play_url(theirs)).status_code == 404
    assert client.post(play_url(theirs, "console_gtm_play_set_active")).status_code == 404


def test_swot_add_and_remove_with_htmx_partials(acme, globex):
    client = acme.client(acme.admin)
    response = client.post(
        reverse("console_swot_add"), {"quadrant": "O", "text": "Marketplaces"}, **HTMX
    )
    assert response.status_code == 200
    assert b'id="swot-board"' in response.content and b"Marketplaces" in response.content
    assert b"<html" not in response.content
    with tenant_context(acme.tenant):
        item = SwotItem.objects.get()
    assert item.quadrant == "O"
    remove_url = reverse("console_swot_remove", kwargs={"item_uuid": item.uuid})
    assert acme.client(acme.executive).post(remove_url).status_code == 403
    response = client.post(remove_url, **HTMX)
    assert response.status_code == 200 and b"Marketplaces" not in response.content
    with tenant_context(acme.tenant):
        assert not SwotItem.objects.exists()
    theirs = make_item(globex)
    assert (
        client.post(reverse("console_swot_remove", kwargs={"item_uuid": theirs.uuid})).status_code
        == 404
    )
    assert (
        acme.client(acme.marketing)
        .post(reverse("console_swot_add"), {"quadrant": "S", "text": "x"})
        .status_code
        == 403
    )


def test_swot_add_errors_are_shown_in_the_partial_and_the_full_page(acme):
    client = acme.client(acme.admin)
    partial = client.post(reverse("console_swot_add"), {"quadrant": "W", "text": ""}, **HTMX)
    assert partial.status_code == 200 and b"This field is required" in partial.content
    page = client.post(reverse("console_swot_add"), {"quadrant": "W", "text": ""})
    assert page.status_code == 400 and b"This field is required" in page.content
    without_js = client.post(reverse("console_swot_add"), {"quadrant": "W", "text": "Slow"})
    assert without_js.status_code == 302


def test_strategy_page_query_count_is_flat(acme):
    make_play(acme)
    make_item(acme)
    client = acme.client(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("console_strategy")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(6):
        make_play(acme, name=f"Play {n}", owner=acme.admin if n % 2 else acme.marketing)
        make_item(acme, quadrant="SWOT"[n % 4], text=f"Item {n}")
    assert count() == before


# --- Financial model -----------------------------------------------------------------------------


def test_calculator_names_tiers_after_the_tenants_tiers(acme):
    response = acme.client(acme.admin).get(reverse("console_financial_model"))
    assert response.status_code == 200 and b"Tier 1" in response.content
    with tenant_context(acme.tenant):
        Tier.objects.create(name="Registered", rank=1)
        Tier.objects.create(name="Platinum", rank=2)
    response = acme.client(acme.admin).get(reverse("console_financial_model"))
    assert response.context["form"].tier_names == ["Registered", "Platinum"]
    assert b'aria-label="Platinum: number of partners"' in response.content


def test_live_preview_returns_the_outputs_partial(acme):
    response = acme.client(acme.executive).post(
        reverse("console_financial_model_preview"), calculator_data(), **HTMX
    )
    assert response.status_code == 200
    outputs = response.context["outputs"]
    assert outputs.projected_revenue == Decimal("2400010.00")
    assert outputs.projected_cost == Decimal("735002.25")
    assert outputs.planned_ropi == Decimal("3.27")
    assert b'id="fm-outputs"' in response.content and b"3.27" in response.content
    with tenant_context(acme.tenant):
        assert not FinancialModel.objects.exists()
    assert (
        acme.client(acme.sales).post(reverse("console_financial_model_preview")).status_code == 403
    )


def test_live_preview_explains_a_zero_cost(acme):
    response = acme.client(acme.admin).post(
        reverse("console_financial_model_preview"),
        calculator_data(margin_pct="0", mdf_pct="0", management_cost_per_partner="0"),
        **HTMX,
    )
    assert response.status_code == 200 and response.context["outputs"] is None
    assert b"cost is zero" in response.content


def test_save_baseline_then_duplicate_period_is_refused_with_a_clear_error(acme):
    client = acme.client(acme.admin)
    response = client.post(reverse("console_financial_model"), calculator_data())
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        model = FinancialModel.objects.get()
    assert (model.projected_revenue, model.projected_cost, model.planned_ropi) == (
        Decimal("2400010.00"),
        Decimal("735002.25"),
        Decimal("3.27"),
    )
    again = client.post(reverse("console_financial_model"), calculator_data(mdf_pct="1"))
    assert again.status_code == 400
    assert "already exists" in again.context["form"].errors["period"][0]
    assert b"already exists" in again.content
    overwrite = client.post(
        reverse("console_financial_model"), calculator_data(mdf_pct="1", overwrite="on")
    )
    assert overwrite.status_code == 302
    with tenant_context(acme.tenant):
        assert FinancialModel.objects.get().projected_cost == Decimal("699002.10")


def test_saving_needs_program_manage_and_a_nonzero_cost(acme):
    assert (
        acme.client(acme.executive)
        .post(reverse("console_financial_model"), calculator_data())
        .status_code
        == 403
    )
    response = acme.client(acme.admin).post(
        reverse("console_financial_model"),
        calculator_data(margin_pct="0", mdf_pct="0", management_cost_per_partner="0"),
    )
    assert response.status_code == 400 and b"cost is zero" in response.content
    with tenant_context(acme.tenant):
        assert not FinancialModel.objects.exists()


def test_financial_model_page_lists_own_baselines_and_loads_one(acme, globex):
    mine = make_baseline(acme)
    theirs = make_baseline(globex, period="FY2030")
    client = acme.client(acme.executive)
    response = client.get(reverse("console_financial_model"))
    assert [b.period for b in response.context["baselines"]] == ["FY2027"]
    assert b"FY2030" not in response.content
    loaded = client.get(reverse("console_financial_model"), {"baseline": str(mine.uuid)})
    assert loaded.context["form"].initial["tier_0_partners"] == 10
    assert loaded.context["outputs"].planned_ropi == mine.planned_ropi
    assert loaded.context["form"].initial["period"] == "FY2027"
    # Another tenant's baseline is ignored: the calculator starts from our newest one, unnamed.
    ignored = client.get(reverse("console_financial_model"), {"baseline": str(theirs.uuid)})
    assert ignored.status_code == 200
    assert ignored.context["form"].initial["tier_0_partners"] == 10
    assert ignored.context["form"].initial["period"] == ""
    assert b"1,000,000.00 USD" in ignored.content
    assert (
        acme.client(acme.partner_admin).get(reverse("console_financial_model")).status_code == 403
    )


def test_financial_model_page_query_count_is_flat(acme):
    make_baseline(acme, period="P0")
    client = acme.client(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("console_financial_model")).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(1, 6):
        make_baseline(acme, period=f"P{n}")
    assert count() == before


# --- API -----------------------------------------------------------------------------------------


def test_api_gtm_plays(acme, globex):
    make_play(acme, name="Acme play")
    theirs = make_play(globex)
    listed = acme.api(acme.executive).get("/api/v1/gtm-plays/")
    assert listed.status_code == 200
    assert [p["name"] for p in listed.json()["results"]] == ["Acme play"]
    assert listed.json()["results"][0]["owner"] == acme.manager.email
    assert acme.api(acme.sales).get("/api/v1/gtm-plays/").status_code == 403
    payload = {
        "name": "Referral",
        "motion": "referral",
        "target_segments": "SMB",
        "owner": acme.marketing.email,
    }
    assert (
        acme.api(acme.executive).post("/api/v1/gtm-plays/", payload, format="json").status_code
        == 403
    )
    created = acme.api(acme.admin).post("/api/v1/gtm-plays/", payload, format="json")
    assert created.status_code == 201 and created.json()["owner"] == acme.marketing.email
    bad_owner = acme.api(acme.admin).post(
        "/api/v1/gtm-plays/", {**payload, "owner": acme.partner_admin.email}, format="json"
    )
    assert bad_owner.status_code == 400 and "owner" in bad_owner.json()
    play_id = created.json()["id"]
    patched = acme.api(acme.admin).patch(
        f"/api/v1/gtm-plays/{play_id}/", {"is_active": False, "name": "Referral v2"}, format="json"
    )
    assert patched.status_code == 200
    assert (patched.json()["is_active"], patched.json()["name"]) == (False, "Referral v2")
    assert (
        acme.api(acme.executive)
        .patch(f"/api/v1/gtm-plays/{play_id}/", {"name": "x"}, format="json")
        .status_code
        == 403
    )
    assert acme.api(acme.admin).get(f"/api/v1/gtm-plays/{theirs.uuid}/").status_code == 404
    assert (
        acme.api(acme.admin)
        .patch(f"/api/v1/gtm-plays/{theirs.uuid}/", {"name": "x"}, format="json")
        .status_code
        == 404
    )


def test_api_swot_items(acme, globex):
    theirs = make_item(globex)
    created = acme.api(acme.admin).post(
        "/api/v1/swot-items/", {"quadrant": "T", "text": "Price war"}, format="json"
    )
    assert created.status_code == 201 and created.json()["position"] == 0
    listed = acme.api(acme.marketing).get("/api/v1/swot-items/").json()["results"]
    assert [(i["quadrant"], i["text"]) for i in listed] == [("T", "Price war")]
    assert (
        acme.api(acme.marketing)
        .post("/api/v1/swot-items/", {"quadrant": "S", "text": "x"}, format="json")
        .status_code
        == 403
    )
    item_id = created.json()["id"]
    assert acme.api(acme.marketing).delete(f"/api/v1/swot-items/{item_id}/").status_code == 403
    assert acme.api(acme.admin).delete(f"/api/v1/swot-items/{theirs.uuid}/").status_code == 404
    assert acme.api(acme.admin).delete(f"/api/v1/swot-items/{item_id}/").status_code == 204
    with tenant_context(acme.tenant):
        assert not SwotItem.objects.exists()
    assert acme.api(acme.partner_admin).get("/api/v1/swot-items/").status_code == 403


def test_api_financial_models_compute_outputs_on_create(acme, globex):
    payload = {
        "period": "FY2027",
        "currency": "USD",
        "tiers": [
            {"name": "Gold", "partners": 5, "avg_revenue": "200000.00"},
            {"name": "Silver", "partners": 20, "avg_revenue": "50000.50"},
            {"name": "Registered", "partners": 40, "avg_revenue": "10000"},
        ],
        "margin_pct": "20",
        "mdf_pct": "2.5",
        "management_cost_per_partner": "3000",
        # Outputs are read-only: a client cannot dictate them.
        "projected_revenue": "1",
        "planned_ropi": "99",
    }
    api = acme.api(acme.admin)
    created = api.post("/api/v1/financial-models/", payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["projected_revenue"], body["projected_cost"], body["planned_ropi"]) == (
        "2400010.00",
        "735002.25",
        "3.27",
    )
    assert body["inputs"]["tiers"][0]["name"] == "Gold"
    duplicate = api.post("/api/v1/financial-models/", payload, format="json")
    assert duplicate.status_code == 400 and "period" in duplicate.json()
    overwrite = api.post(
        "/api/v1/financial-models/", {**payload, "overwrite": True, "mdf_pct": "1"}, format="json"
    )
    assert overwrite.status_code == 201 and overwrite.json()["projected_cost"] == "699002.10"
    zero = api.post(
        "/api/v1/financial-models/",
        {
            **payload,
            "period": "FY2028",
            "margin_pct": "0",
            "mdf_pct": "0",
            "management_cost_per_partner": "0",
        },
        format="json",
    )
    assert zero.status_code == 400 and "cost is zero" in str(zero.json())
    assert (
        acme.api(acme.executive)
        .post("/api/v1/financial-models/", payload, format="json")
        .status_code
        == 403
    )
    assert len(acme.api(acme.executive).get("/api/v1/financial-models/").json()["results"]) == 1
    theirs = make_baseline(globex)
    assert api.get(f"/api/v1/financial-models/{theirs.uuid}/").status_code == 404
    assert api.get(f"/api/v1/financial-models/{body['id']}/").status_code == 200


def test_strategy_endpoints_appear_in_the_openapi_schema(acme):
    from django.test import Client

    schema = Client(HTTP_HOST="127.0.0.1").get("/api/v1/schema/?format=json").json()
    paths = set(schema["paths"])
    assert {
        "/api/v1/gtm-plays/",
        "/api/v1/swot-items/{id}/",
        "/api/v1/financial-models/",
        "/api/v1/rules-of-engagement/{id}/publish/",
        "/api/v1/rules-of-engagement/{id}/accept/",
    } <= paths
