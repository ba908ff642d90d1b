"""Strategy services: the financial model's arithmetic (hand-worked), baselines per period,
GTM plays, SWOT items, and the demo data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from partners.demo import strategy as strategy_demo
from partners.models import FinancialModel, GtmPlay, Motion, SwotItem, Tier
from partners.selectors.strategy import financial_tier_names, swot_board
from partners.services.strategy import (
    TierInput,
    financial_model_compute,
    financial_model_save,
    gtm_play_create,
    gtm_play_set_active,
    gtm_play_update,
    swot_item_add,
    swot_item_remove,
)
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db

# Hand-worked example:
#   revenue    = 5 × 200,000.00 + 20 × 50,000.50 + 40 × 10,000.00      = 2,400,010.00
#   margins    = 2,400,010.00 × 20%                                     =   480,002.00
#   MDF        = 2,400,010.00 × 2.5%                                    =    60,000.25
#   management = (5 + 20 + 40) × 3,000.00                              =   195,000.00
#   cost       = 480,002.00 + 60,000.25 + 195,000.00                   =   735,002.25
#   ROPI       = 2,400,010.00 / 735,002.25 = 3.2653…                    →         3.27
EXAMPLE = {
    "tiers": [
        TierInput(name="Gold", partners=5, avg_revenue=Decimal("200000.00")),
        TierInput(name="Silver", partners=20, avg_revenue=Decimal("50000.50")),
        TierInput(name="Registered", partners=40, avg_revenue=Decimal("10000")),
    ],
    "margin_pct": Decimal("20"),
    "mdf_pct": Decimal("2.5"),
    "management_cost_per_partner": Decimal("3000"),
}


def admin(world):
    return actor_for_user(world.admin, world.tenant)


def test_financial_model_hand_worked_example():
    out = financial_model_compute(**EXAMPLE)
    assert out.total_partners == 65
    assert out.projected_revenue == Decimal("2400010.00")
    assert out.margin_cost == Decimal("480002.00")
    assert out.mdf_cost == Decimal("60000.25")
    assert out.management_cost == Decimal("195000.00")
    assert out.projected_cost == Decimal("735002.25")
    assert out.planned_ropi == Decimal("3.27")
    assert out.projected_cost.as_tuple().exponent == -2


def test_financial_model_rounds_money_to_cents_half_up():
    # 3 × 333.33 = 999.99; margin 12.5% = 124.99875 → 125.00; ROPI 999.99 / 125 = 7.99992 → 8.00
    out = financial_model_compute(
        tiers=[TierInput(name="Tier 1", partners=3, avg_revenue=Decimal("333.33"))],
        margin_pct=Decimal("12.5"),
        mdf_pct=Decimal("0"),
        management_cost_per_partner=Decimal("0"),
    )
    assert (out.projected_revenue, out.projected_cost, out.planned_ropi) == (
        Decimal("999.99"),
        Decimal("125.00"),
        Decimal("8.00"),
    )


def test_zero_cost_is_an_error_not_a_division():
    with pytest.raises(ValidationError, match="cost is zero"):
        financial_model_compute(
            tiers=[TierInput(name="T", partners=10, avg_revenue=Decimal("1000"))],
            margin_pct=Decimal("0"),
            mdf_pct=Decimal("0"),
            management_cost_per_partner=Decimal("0"),
        )


def test_out_of_range_inputs_are_refused():
    with pytest.raises(ValidationError) as caught:
        financial_model_compute(**{**EXAMPLE, "margin_pct": Decimal("120")})
    assert "margin_pct" in caught.value.message_dict


def test_saving_a_baseline_stores_inputs_and_outputs(acme):
    with tenant_context(acme.tenant):
        model = financial_model_save(
            actor=admin(acme), period="FY2027", currency="eur", notes="Plan", **EXAMPLE
        )
        model.refresh_from_db()
        assert AuditEvent.objects.filter(action="financial_model.saved").count() == 1
    assert (model.projected_revenue, model.projected_cost, model.planned_ropi) == (
        Decimal("2400010.00"),
        Decimal("735002.25"),
        Decimal("3.27"),
    )
    assert model.currency == "EUR" and model.created_by == acme.admin
    assert model.inputs["tiers"][1] == {
        "name": "Silver",
        "partners": 20,
        "avg_revenue": "50000.50",
    }
    assert model.inputs["mdf_pct"] == "2.5"


def test_duplicate_period_is_refused_unless_overwriting(acme):
    with tenant_context(acme.tenant):
        financial_model_save(actor=admin(acme), period="FY2027", currency="USD", **EXAMPLE)
        with pytest.raises(ValidationError) as caught:
            financial_model_save(actor=admin(acme), period="fy2027", currency="USD", **EXAMPLE)
        assert "already exists" in caught.value.message_dict["period"][0]
        changed = {**EXAMPLE, "management_cost_per_partner": Decimal("0")}
        financial_model_save(
            actor=admin(acme), period="FY2027", currency="USD", overwrite=True, **changed
        )
        model = FinancialModel.objects.get()
        assert model.projected_cost == Decimal("540002.25")
        assert AuditEvent.objects.filter(action="financial_model.overwritten").exists()


def test_only_program_managers_save_baselines(acme):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        financial_model_save(
            actor=actor_for_user(acme.executive, acme.tenant),
            period="FY2027",
            currency="USD",
            **EXAMPLE,
        )


def test_tier_names_come_from_the_tenants_tiers(acme):
    with tenant_context(acme.tenant):
        assert financial_tier_names() == ["Tier 1", "Tier 2", "Tier 3"]
        for rank, name in enumerate(["Registered", "Silver", "Gold"], start=1):
            Tier.objects.create(name=name, rank=rank)
        assert financial_tier_names() == ["Registered", "Silver", "Gold"]


# --- GTM plays and SWOT --------------------------------------------------------------------------


def test_gtm_play_lifecycle_is_audited(acme):
    with tenant_context(acme.tenant):
        play = gtm_play_create(
            actor=admin(acme),
            name="MSP co-sell",
            motion=Motion.CO_SELL,
            target_segments="Mid-market EMEA",
            owner=acme.manager,
        )
        gtm_play_update(actor=admin(acme), play=play, target_segments="Mid-market DACH")
        gtm_play_set_active(actor=admin(acme), play=play, active=False)
        play.refresh_from_db()
        actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert play.target_segments == "Mid-market DACH" and not play.is_active
    assert {"gtm_play.created", "gtm_play.updated", "gtm_play.deactivated"} <= actions


def test_gtm_play_owner_must_be_vendor_staff_of_this_tenant(acme, globex):
    for outsider in (acme.partner_admin, globex.manager):
        with tenant_context(acme.tenant), pytest.raises(ValidationError) as caught:
            gtm_play_create(
                actor=admin(acme),
                name="Play",
                motion=Motion.REFERRAL,
                target_segments="SMB",
                owner=outsider,
            )
        assert "owner" in caught.value.message_dict


def test_swot_items_are_added_in_order_and_removed(acme):
    with tenant_context(acme.tenant):
        first = swot_item_add(actor=admin(acme), quadrant="S", text="Strong brand")
        second = swot_item_add(actor=admin(acme), quadrant="S", text="Great docs")
        swot_item_add(actor=admin(acme), quadrant="T", text="Competitor margins")
        assert (first.position, second.position) == (0, 1)
        board = swot_board(admin(acme))
        assert [q["code"] for q in board] == ["S", "W", "O", "T"]
        assert [i.text for i in board[0]["items"]] == ["Strong brand", "Great docs"]
        swot_item_remove(actor=admin(acme), item=first)
        assert list(SwotItem.objects.values_list("text", flat=True).order_by("text")) == [
            "Competitor margins",
            "Great docs",
        ]
        with pytest.raises(ValidationError):
            swot_item_add(actor=admin(acme), quadrant="X", text="Nope")


# --- Demo ----------------------------------------------------------------------------------------


def test_demo_strategy_is_complete_and_idempotent(acme):
    staff = {
        "admin": acme.admin,
        "manager": acme.manager,
        "manager2": acme.manager,
        "marketing": acme.marketing,
    }
    with tenant_context(acme.tenant):
        strategy_demo.seed(acme.tenant, staff=staff)
        strategy_demo.seed(acme.tenant, staff=staff)
        assert GtmPlay.objects.count() == 4
        assert set(GtmPlay.objects.values_list("motion", flat=True)) == set(Motion.values)
        for quadrant in "SWOT":
            assert SwotItem.objects.filter(quadrant=quadrant).count() == 3
        baseline = FinancialModel.objects.get()
    assert baseline.period == "FY2027"
    # 60×40,000 + 25×180,000 + 8×750,000 = 12,900,000; cost 18% + 3% + 93×6,000 = 3,267,000
    assert baseline.projected_revenue == Decimal("12900000.00")
    assert baseline.projected_cost == Decimal("3267000.00")
    assert baseline.planned_ropi == Decimal("3.95")
