"""Helpers shared by the tier and revenue tests (no tests here)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from partners.models import LifecycleState, RevenueKind, RevenueRecord
from partners.services import tiers as services
from tenancy.access import SYSTEM
from tenancy.context import tenant_context

SILVER_REVENUE = Decimal("250000")
GOLD_REVENUE = Decimal("1000000")


def make_ladder(world, *, gold_people: int = 0, gold_certs=(), **settings):
    """Registered / Silver / Gold in the world's tenant (and its program settings)."""
    with tenant_context(world.tenant):
        if settings:
            services.program_settings_update(actor=SYSTEM, **settings)
        registered = services.tier_save(actor=SYSTEM, name="Registered", rank=1)
        silver = services.tier_save(
            actor=SYSTEM,
            name="Silver",
            rank=2,
            min_trailing_revenue=SILVER_REVENUE,
            discount_margin_pct=Decimal("20"),
            mdf_eligible=True,
            mdf_share_pct=Decimal("3"),
        )
        gold = services.tier_save(
            actor=SYSTEM,
            name="Gold",
            rank=3,
            min_trailing_revenue=GOLD_REVENUE,
            min_certified_people=gold_people,
            required_certifications=list(gold_certs),
            discount_margin_pct=Decimal("30"),
            perks="Co-selling with account teams",
        )
    return registered, silver, gold


def activate(world, *partners, tier=None):
    with tenant_context(world.tenant):
        for partner in partners:
            partner.state = LifecycleState.ACTIVE
            partner.tier = tier
            partner.save(update_fields=["state", "tier"])


def add_revenue(world, partner, amount, booked_on: date, *, kind=RevenueKind.SOURCED):
    """A ledger row written directly (the service refuses future dates relative to real time)."""
    with tenant_context(world.tenant):
        return RevenueRecord.objects.create(
            partner=partner,
            kind=kind,
            customer="Blue Harbor Logistics",
            product="Compute",
            amount=Decimal(amount),
            currency="USD",
            booked_on=booked_on,
        )
