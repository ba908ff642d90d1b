"""Demo data for tiers: program settings, three tiers per tenant, 24 months of revenue for every
contracted/active partner, and a tier history built by replaying the evaluation at two past dates
(program launch ~15 months ago, a review ~4 months ago) before today's run leaves pending
proposals. Idempotent: tiers, settings and revenue are created only when missing and the history
is replayed only while the tenant has none; today's evaluation keeps pending proposals as they are.

NOTE: the tiers only require revenue for now. Certified people and named certifications are
counted by the pluggable certification provider, which answers "none" until the enablement area
registers a real one; requiring them here would leave every partner stuck at the entry tier.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.utils import timezone

from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import require_current_tenant

from ..models import (
    LeadPriority,
    LifecycleState,
    PartnerOrganization,
    ProposalStatus,
    RevenueKind,
    RevenueRecord,
    Tier,
    TierChange,
    TierProposal,
)
from ..services import tiers as services

PROGRAMS = {
    "acme": {
        "settings": {
            "currency": "USD",
            "tier_grace_period_days": 90,
            "revenue_window_months": 12,
            "auto_apply_tier_changes": False,
        },
        "tiers": [
            {
                "name": "Registered",
                "rank": 1,
                "color": "#6c757d",
                "min_trailing_revenue": Decimal("0"),
                "discount_margin_pct": Decimal("10"),
                "mdf_eligible": False,
                "mdf_share_pct": Decimal("0"),
                "lead_priority": LeadPriority.LOW,
                "perks": "Partner portal and sales playbooks\nSelf-paced training",
            },
            {
                "name": "Silver",
                "rank": 2,
                "color": "#868e96",
                "min_trailing_revenue": Decimal("250000"),
                "discount_margin_pct": Decimal("20"),
                "mdf_eligible": True,
                "mdf_share_pct": Decimal("3"),
                "lead_priority": LeadPriority.MEDIUM,
                "perks": "Named channel manager\nDeal registration protection (90 days)\n"
                "Two free certification vouchers a year",
            },
            {
                "name": "Gold",
                "rank": 3,
                "color": "#b08d57",
                "min_trailing_revenue": Decimal("1000000"),
                "discount_margin_pct": Decimal("30"),
                "mdf_eligible": True,
                "mdf_share_pct": Decimal("5"),
                "lead_priority": LeadPriority.HIGH,
                "perks": "Co-selling with Acme account teams\nListing in the partner locator\n"
                "Quarterly business reviews\nUnlimited certification vouchers",
            },
        ],
        "products": [
            "Acme Compute",
            "Acme Object Storage",
            "Acme Kubernetes Engine",
            "Acme Data Warehouse",
            "Premium Support",
        ],
    },
    "globex": {
        "settings": {
            "currency": "EUR",
            "tier_grace_period_days": 60,
            "revenue_window_months": 12,
            "auto_apply_tier_changes": False,
        },
        "tiers": [
            {
                "name": "Authorized",
                "rank": 1,
                "color": "#495057",
                "min_trailing_revenue": Decimal("0"),
                "discount_margin_pct": Decimal("12"),
                "mdf_eligible": False,
                "mdf_share_pct": Decimal("0"),
                "lead_priority": LeadPriority.LOW,
                "perks": "Not-for-resale lab licences\nPartner portal access",
            },
            {
                "name": "Advanced",
                "rank": 2,
                "color": "#1c7ed6",
                "min_trailing_revenue": Decimal("200000"),
                "discount_margin_pct": Decimal("22"),
                "mdf_eligible": True,
                "mdf_share_pct": Decimal("4"),
                "lead_priority": LeadPriority.MEDIUM,
                "perks": "Threat-intel briefings\nDeal registration protection (120 days)",
            },
            {
                "name": "Elite",
                "rank": 3,
                "color": "#5f3dc4",
                "min_trailing_revenue": Decimal("750000"),
                "discount_margin_pct": Decimal("32"),
                "mdf_eligible": True,
                "mdf_share_pct": Decimal("6"),
                "lead_priority": LeadPriority.HIGH,
                "perks": "Joint incident-response retainer offers\nExecutive sponsor\n"
                "Early access to the product roadmap",
            },
        ],
        "products": [
            "Globex Firewall",
            "Globex EDR",
            "Globex SIEM",
            "Zero Trust Access",
            "Managed SOC",
        ],
    },
}

CUSTOMERS = [
    "Blue Harbor Logistics",
    "Cedar Health Group",
    "Brightline Retail",
    "Summit Financial",
    "Orchid Biotech",
    "Ironwood Manufacturing",
    "Lakeside University",
    "Polaris Energy",
    "Redwood Insurance",
    "Silverline Media",
    "Keystone Municipal Services",
    "Granite Telecom",
    "Meridian Airlines",
    "Nimbus Gaming",
    "Harborview Hospital",
    "Atlas Freight",
]

# Revenue shapes, as a fraction of the top tier's threshold per year, by month (0 = 23 months
# ago, 23 = this month). They are chosen so that the replayed history and today's evaluation
# show every case: steady top tier, near the next tier, a pending upgrade, a downgrade after the
# grace period, a dip still in grace, entry level.
MONTHS = 24


def _shape(profile: str, month: int, middle: float) -> float:
    """Yearly revenue rate as a fraction of the top tier's threshold; `middle` is the middle
    tier's threshold as such a fraction."""
    if profile == "gold":  # comfortably at the top tier
        return 1.45 + 0.01 * month
    if profile == "near_gold":  # middle tier, ~85% of the way to the top
        return 0.85
    if profile == "silver":
        return 0.5
    if profile == "near_silver":  # entry tier, close to the middle one
        return 0.85 * middle
    if profile == "rising":  # small for a year, then a strong ramp: upgrade proposed today
        return 0.35 if month < 15 else 1.9
    if profile == "dropping":  # top tier at launch, then lost a big customer: downgrade due
        return 1.5 if month < 10 else 0.45
    if profile == "dipping":  # top tier until four months ago: below it, still in grace
        return 1.3 if month < 20 else 0.05
    return 0.3 * middle  # "entry"


PROFILES = ["near_gold", "gold", "dropping", "silver", "rising", "near_silver", "dipping", "entry"]


def _ensure_settings(spec: dict) -> None:
    settings = services.program_settings()
    wanted = {k: v for k, v in spec.items() if getattr(settings, k) != v}
    if wanted and not TierChange.objects.exists():  # never fight an admin's later edits
        services.program_settings_update(actor=SYSTEM, **wanted)


# Rough values in USD, for demo exchange rates into any program currency.
EXACT = Decimal("1e-6")
USD_VALUES = {
    "USD": Decimal("1"),
    "EUR": Decimal("1.08"),
    "GBP": Decimal("1.27"),
    "CAD": Decimal("0.73"),
    "AUD": Decimal("0.66"),
    "JPY": Decimal("0.0067"),
}


def _ensure_rates(program_currency: str) -> None:
    from ..models import ExchangeRate
    from ..services.currency import exchange_rate_set

    base = USD_VALUES.get(program_currency)
    if base is None or ExchangeRate.objects.exists():
        return
    for code, usd in USD_VALUES.items():
        if code != program_currency:
            exchange_rate_set(actor=SYSTEM, currency=code, rate=(usd / base).quantize(EXACT))


def _ensure_tiers(specs: list[dict]) -> list[Tier]:
    existing = {tier.rank: tier for tier in Tier.objects.all()}
    for spec in specs:  # ascending rank: each tier is validated against the ones below it
        if spec["rank"] not in existing:
            existing[spec["rank"]] = services.tier_save(actor=SYSTEM, **spec)
    return [existing[rank] for rank in sorted(existing)]


def _month_start(today: date, month: int) -> date:
    return today.replace(day=1) - relativedelta(months=MONTHS - 1 - month)


def _seed_revenue(partner, *, profile, top, middle, currency, products, today) -> None:
    if RevenueRecord.objects.filter(partner=partner).exists():
        return
    rng = random.Random(f"{partner.name}-revenue")
    tenant = require_current_tenant()
    records = []
    for month in range(MONTHS):
        start = _month_start(today, month)
        last_day = min((start + relativedelta(months=1)) - timedelta(days=1), today)
        monthly = top * Decimal(str(_shape(profile, month, middle))) / 12
        deals = rng.randint(1, 3)
        for deal in range(deals):
            share = monthly / deals * Decimal(str(rng.uniform(0.92, 1.08)))
            amount = share.quantize(Decimal("0.01"))
            if amount <= 0:
                continue
            booked_on = start + timedelta(days=rng.randint(0, (last_day - start).days))
            records.append(
                RevenueRecord(
                    tenant=tenant,
                    partner=partner,
                    kind=RevenueKind.SOURCED if rng.random() < 0.7 else RevenueKind.INFLUENCED,
                    customer=rng.choice(CUSTOMERS),
                    product=rng.choice(products),
                    amount=amount,
                    currency=currency,
                    booked_on=booked_on,
                    source="crm",
                    external_ref=f"OPP-{partner.pk:04d}-{month:02d}{deal}",
                )
            )
    RevenueRecord.objects.bulk_create(records)


def _approve_pending(*, staff, note: str, when) -> None:
    tenant = require_current_tenant()
    admin = actor_for_user(staff["admin"], tenant)
    for proposal in TierProposal.objects.filter(status=ProposalStatus.PENDING).select_related(
        "partner"
    ):
        manager = proposal.partner.channel_manager
        actor = admin
        if manager is not None and manager.pk in {u.pk for u in staff.values()}:
            candidate = actor_for_user(manager, tenant)
            if candidate.role is not None:
                actor = candidate
        services.tier_proposal_decide(
            actor=actor, proposal=proposal, approve=True, note=note, now=when
        )


def seed(tenant, *, staff) -> None:
    """Demo data for this area, inside tenant_context(tenant). staff: role name -> User."""
    program = PROGRAMS.get(tenant.slug)
    if program is None:
        return
    _ensure_settings(program["settings"])
    _ensure_rates(program["settings"]["currency"])
    tiers = _ensure_tiers(program["tiers"])
    top = tiers[-1].min_trailing_revenue
    today = timezone.localdate()
    partners = list(
        PartnerOrganization.objects.filter(
            state__in=[LifecycleState.CONTRACTED, LifecycleState.ACTIVE]
        ).order_by("created_at", "name")
    )
    for index, partner in enumerate(partners):
        _seed_revenue(
            partner,
            profile=PROFILES[index % len(PROFILES)],
            top=top,
            middle=float(tiers[1].min_trailing_revenue / top) if len(tiers) > 2 else 0.25,
            currency=program["settings"]["currency"],
            products=program["products"],
            today=today,
        )
    if not TierChange.objects.exists():
        # Replay the program's past: launch (everyone enters, qualifying partners move up after
        # the first review), then a review four months ago.
        now = timezone.now()
        launch = now - timedelta(days=450)
        services.evaluate_tenant(now=launch)
        _approve_pending(
            staff=staff, note="Initial tiering at program launch.", when=launch + timedelta(days=7)
        )
        review = now - timedelta(days=120)
        services.evaluate_tenant(now=review)
        _approve_pending(
            staff=staff, note="Approved in the quarterly review.", when=review + timedelta(days=5)
        )
    services.evaluate_tenant()
