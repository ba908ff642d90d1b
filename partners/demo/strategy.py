"""Demo channel strategy: four GTM plays, a SWOT with three items per quadrant and an FY2027
financial baseline. Idempotent: each part is created only when the tenant has none yet."""

from __future__ import annotations

from decimal import Decimal

from tenancy.access import actor_for_user

from ..models import FinancialModel, GtmPlay, Motion, SwotItem, SwotQuadrant
from ..selectors.strategy import financial_tier_names, program_currency
from ..services.strategy import (
    TierInput,
    financial_model_save,
    gtm_play_create,
    swot_item_add,
)

PLAYS = {
    "acme": [
        (
            "Co-sell Kubernetes migrations with MSPs",
            Motion.CO_SELL,
            "Mid-market companies (200–2,000 employees) in EMEA running VMware, planning a "
            "move to containers within 12 months.",
            "Joint account planning with MSP partners; Acme solution engineers join the first "
            "architecture workshop; partner runs the migration and day-2 operations.",
            "manager",
        ),
        (
            "Referral program for boutique consultancies",
            Motion.REFERRAL,
            "Digital agencies and DevOps consultancies in North America advising start-ups "
            "and scale-ups.",
            "10% first-year referral fee on qualified opportunities; Acme sells and supports.",
            "manager2",
        ),
        (
            "Resale through regional VARs",
            Motion.RESALE,
            "Public sector and education in DACH and the Nordics, where buyers need a local "
            "contracting party.",
            "VARs hold paper and first-line support; Acme provides pre-sales and escalations.",
            "manager",
        ),
        (
            "AWS Marketplace private offers",
            Motion.MARKETPLACE,
            "Enterprise accounts with committed AWS spend (EDP) that want to burn down "
            "commitments.",
            "Partner-originated private offers (CPPO) so resellers keep the relationship.",
            "marketing",
        ),
    ],
    "globex": [
        (
            "Co-sell managed detection & response with MSSPs",
            Motion.CO_SELL,
            "Regulated mid-market (finance, healthcare) without a 24/7 SOC.",
            "MSSP partners run the SOC on Globex; Globex account teams co-sell into the "
            "security leadership.",
            "manager",
        ),
        (
            "Referral: compliance auditors",
            Motion.REFERRAL,
            "Companies preparing for ISO 27001 or SOC 2, reached through audit firms.",
            "Auditors refer gaps found in readiness assessments; referral fee on close.",
            "manager2",
        ),
        (
            "Resale through security VARs",
            Motion.RESALE,
            "SMB and lower mid-market in the UK, Benelux and France.",
            "Bundled endpoint + email security SKUs with partner-delivered onboarding.",
            "manager",
        ),
        (
            "Azure Marketplace listing",
            Motion.MARKETPLACE,
            "Microsoft-first enterprises buying through their Azure commitment (MACC).",
            "Transactable SaaS offer; partners attach services through multiparty offers.",
            "marketing",
        ),
    ],
}

SWOT = {
    SwotQuadrant.STRENGTH: [
        "Product NPS above 50 among partner-sourced customers",
        "Partner-sourced deals close 20% faster than direct ones",
        "Certification curriculum already available in four languages",
    ],
    SwotQuadrant.WEAKNESS: [
        "Only 30% of partners have a certified engineer",
        "Deal registration turnaround is slow at quarter end",
        "Little partner coverage in APAC",
    ],
    SwotQuadrant.OPPORTUNITY: [
        "Cloud marketplaces: buyers want to spend committed budgets",
        "MSPs consolidating their vendor stack in 2027",
        "New compliance rules create demand for packaged services",
    ],
    SwotQuadrant.THREAT: [
        "A competitor offers partners 5 points more margin",
        "Hyperscalers bundling a 'good enough' alternative",
        "Channel conflict with direct sales in enterprise accounts",
    ],
}

# FY2027 plan: (partners, average revenue per partner) from the entry tier up.
FY2027_TIERS = [(60, Decimal("40000")), (25, Decimal("180000")), (8, Decimal("750000"))]


def seed(tenant, *, staff) -> None:
    """Demo data for this area, inside tenant_context(tenant). staff: role name -> User."""
    actor = actor_for_user(staff["admin"], tenant)
    if not GtmPlay.objects.exists():
        for name, motion, segments, description, owner in PLAYS.get(tenant.slug, PLAYS["acme"]):
            gtm_play_create(
                actor=actor,
                name=name,
                motion=motion,
                target_segments=segments,
                description=description,
                owner=staff.get(owner),
            )
    if not SwotItem.objects.exists():
        for quadrant, texts in SWOT.items():
            for text in texts:
                swot_item_add(actor=actor, quadrant=quadrant, text=text)
    if not FinancialModel.objects.filter(period="FY2027").exists():
        names = financial_tier_names()
        financial_model_save(
            actor=actor,
            period="FY2027",
            currency=program_currency(),
            tiers=[
                TierInput(name=name, partners=partners, avg_revenue=avg)
                for name, (partners, avg) in zip(names, FY2027_TIERS, strict=False)
            ],
            margin_pct=Decimal("18"),
            mdf_pct=Decimal("3"),
            management_cost_per_partner=Decimal("6000"),
            notes="Board-approved plan: grow Gold partners from 5 to 8; MDF held at 3%.",
        )
