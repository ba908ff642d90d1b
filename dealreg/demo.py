"""Demo data for deal registration: public rules and routing, customer accounts (some owned by
direct sales, with open direct opportunities), registrations in every status with their history
(locked accounts, won deals posted to the revenue ledger, an SLA breach, a registration under
review, a draft), a conflict the approver sees side by side, an extension request and an open
dispute. Runs after the onboarding demo, which plans when some partners register their first
deal (registered here; their milestone is read from these registrations).

Idempotent: nothing is added once the tenant has customer accounts."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from onboarding.demo import planned_first_deals
from partners.models import LifecycleState, PartnerOrganization
from partners.services.tiers import program_settings
from tenancy.access import SYSTEM
from tenancy.context import require_current_tenant

from .models import (
    CustomerAccount,
    DealEvent,
    DealRegistration,
    DealRules,
    DealStatus,
    DirectOpportunity,
    Dispute,
    DisputeComment,
    ExtensionRequest,
    RoutingRule,
)
from .services.accounts import account_for
from .services.conflicts import conflicts_refresh

S = DealStatus

CUSTOMERS = [
    ("Brightline Logistics", "brightline-logistics.example", "US", "NA"),
    ("Helios Health Group", "helioshealth.example", "DE", "EMEA"),
    ("Orbit Retail", "orbitretail.example", "FR", "EMEA"),
    ("Quanta Bank", "quantabank.example", "GB", "EMEA"),
    ("Vista Energy", "vistaenergy.example", "US", "NA"),
    ("Pacific Foods", "pacificfoods.example", "JP", "APAC"),
    ("Summit Insurance", "summit-insurance.example", "CA", "NA"),
    ("Nova Pharma", "novapharma.example", "CH", "EMEA"),
    ("Cedar Hotels", "cedarhotels.example", "AU", "APAC"),
    ("Falcon Airlines", "falconair.example", "AE", "EMEA"),
    ("Iron Mining Co", "ironmining.example", "BR", "LATAM"),
    ("Aqua Chemicals", "aquachem.example", "NL", "EMEA"),
    ("Vertex Telecom", "vertextel.example", "MX", "LATAM"),
    ("Maple Studios", "maplestudios.example", "CA", "NA"),
    ("Stone Capital", "stonecapital.example", "SG", "APAC"),
    ("Atlas Robotics", "atlasrobotics.example", "US", "NA"),
    ("Lion Textiles", "liontextiles.example", "IN", "APAC"),
    ("Harbor Shipping", "harborshipping.example", "NO", "EMEA"),
    ("Golden Clinics", "goldenclinics.example", "ES", "EMEA"),
    ("Prime Analytics", "primeanalytics.example", "US", "NA"),
]
# Accounts direct sales owns (a partner registering one sees a conflict).
DIRECT = [
    ("Zenith Manufacturing", "zenith-mfg.example", "US", "NA"),
    ("Polaris Media", "polarismedia.example", "GB", "EMEA"),
    ("Terra Farms", "terrafarms.example", "AU", "APAC"),
]
# Status of the registrations spread over the customers, in order.
PLAN = [
    S.APPROVED,
    S.APPROVED,
    S.WON,
    S.APPROVED,
    S.LOST,
    S.UNDER_REVIEW,
    S.SUBMITTED,
    S.REJECTED,
    S.WON,
    S.EXPIRED,
    S.APPROVED,
    S.SUBMITTED,
    S.WON,
    S.APPROVED,
    S.DRAFT,
    S.LOST,
    S.APPROVED,
    S.UNDER_REVIEW,
    S.EXPIRED,
    S.APPROVED,
]


def _event(deal, action, at, *, by=None, from_status="", to_status="", note=""):
    DealEvent.objects.create(
        tenant=require_current_tenant(),
        registration=deal,
        action=action,
        from_status=from_status,
        to_status=to_status,
        by=by,
        by_label=by.email if by else "system",
        note=note,
        at=at,
    )


def _first_deal(partner, submitted_at, rng, *, currency) -> DealRegistration:
    """A partner's first registration, submitted when the onboarding demo planned it."""
    customer = rng.choice(
        ["Brightline Logistics", "Helios Health", "Orbit Retail", "Quanta Bank", "Vista Energy"]
    )
    return DealRegistration.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        submitted_by=None,
        customer_name=f"{customer} {rng.choice(['Group', 'Inc.', 'GmbH', 'Ltd'])}",
        customer_domain=f"{customer.split()[0].lower()}-{rng.randint(10, 99)}.example",
        region=(partner.regions or ["NA"])[0],
        contact_name="Jordan Buyer",
        contact_email="jordan.buyer@example.org",
        products=["Platform"],
        estimated_value=Decimal(rng.randrange(15_000, 250_000, 500)),
        currency=currency,
        expected_close_date=(submitted_at + timedelta(days=rng.randint(30, 120))).date(),
        partner_notes="Customer evaluating two vendors; we lead the implementation.",
        status=S.SUBMITTED,
        created_at=submitted_at,
        submitted_at=submitted_at,
    )


def _registration(
    partner, account, status, *, rng, now, staff, rules, currency
) -> DealRegistration:
    """A registration with a history that fits its status, written directly (backdated)."""
    manager = partner.channel_manager or staff["manager"]
    submitted = now - timedelta(days=rng.randint(5, 200), hours=rng.randint(0, 23))
    if status in (S.SUBMITTED, S.UNDER_REVIEW):
        submitted = now - timedelta(hours=rng.randint(2, 30))
    deal = DealRegistration.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        submitted_by=None,
        account=account,
        customer_name=account.name,
        customer_domain=account.domain,
        customer_country=account.country,
        region=account.region,
        contact_name=rng.choice(["Jordan Buyer", "Sam Chen", "Alex Moreau", "Priya Nair"]),
        contact_email=f"buyer@{account.domain}",
        products=rng.sample(["Platform", "Security", "Analytics"], rng.randint(1, 2)),
        estimated_value=Decimal(rng.randrange(12_000, 320_000, 500)),
        # European customers buy in euros when the program books in dollars (converted at the
        # program's exchange rates for the rules, routing and the ledger).
        currency="EUR" if account.region == "EMEA" and currency == "USD" else currency,
        expected_close_date=(submitted + timedelta(days=rng.randint(30, 120))).date(),
        partner_notes="Customer evaluating two vendors; we lead the implementation.",
        status=S.DRAFT if status == S.DRAFT else S.SUBMITTED,
        created_at=submitted,
        submitted_at=None if status == S.DRAFT else submitted,
        assigned_to=manager,
        sla_due_at=None if status == S.DRAFT else submitted + timedelta(days=2),
        sales_stage=rng.choice(["qualification", "discovery", "proposal", "negotiation"]),
        next_step=rng.choice(["Technical workshop", "Send proposal", "Pricing call", ""]),
    )
    if status == S.DRAFT:
        return deal
    _event(deal, "submitted", submitted, to_status=S.SUBMITTED)
    decided = submitted + timedelta(hours=rng.randint(3, 40))
    fields: dict = {}
    if status == S.UNDER_REVIEW:
        fields["status"] = S.UNDER_REVIEW
        _event(deal, "under_review", submitted + timedelta(hours=1), by=manager)
    elif status != S.SUBMITTED:
        fields.update(decided_at=decided, decided_by=manager)
        if status == S.REJECTED:
            fields.update(status=S.REJECTED, decision_reason="Customer already in a direct deal.")
            _event(deal, "rejected", decided, by=manager, from_status=S.SUBMITTED)
        else:
            lifetime = timedelta(days=rules.lifetime_days)
            fields.update(
                status=status,
                approved_at=decided,
                expires_at=decided + lifetime,
                decision_reason="Welcome: strong partner-led opportunity.",
            )
            _event(deal, "approved", decided, by=manager, from_status=S.SUBMITTED)
            if status == S.APPROVED:
                # A live lock: decided recently enough to still run.
                fields["approved_at"] = now - timedelta(days=rng.randint(3, 70))
                fields["expires_at"] = fields["approved_at"] + lifetime
                fields["sales_stage"] = rng.choice(["proposal", "negotiation", "closing"])
            elif status in (S.WON, S.LOST):
                closed = min(
                    decided + timedelta(days=rng.randint(10, 60)), now - timedelta(hours=1)
                )
                fields["closed_at"] = closed
                _event(deal, status, closed, by=manager, from_status=S.APPROVED)
            elif status == S.EXPIRED:
                # Expired: approved long enough ago for the lifetime to have run out.
                fields["approved_at"] = now - lifetime - timedelta(days=rng.randint(5, 60))
                fields["expires_at"] = fields["approved_at"] + lifetime
                fields["closed_at"] = fields["expires_at"]
                _event(deal, "expired", fields["closed_at"], from_status=S.APPROVED)
    if fields:
        DealRegistration.objects.filter(pk=deal.pk).update(**fields)
        deal.refresh_from_db()
    return deal


def _post_won(deal) -> None:
    from partners.services.currency import convert
    from partners.services.revenue import revenue_record_create

    program_currency = program_settings().currency
    amount = convert(deal.estimated_value, deal.currency, program_currency)
    if amount is None:
        return
    revenue_record_create(
        actor=SYSTEM,
        partner=deal.partner,
        kind="sourced",
        customer=deal.customer_name,
        amount=amount,
        currency=program_currency,
        booked_on=deal.closed_at.date(),
        product=(deal.products or [""])[0],
        source="dealreg",
        external_ref=f"deal:{deal.uuid}",
    )


def seed(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). staff: role name -> User (admin, manager, manager2, sales)."""
    tenant = tenant or require_current_tenant()
    if CustomerAccount.objects.exists():
        return
    rng = random.Random(f"dealreg-{tenant.slug}")
    now = timezone.now()
    currency = program_settings().currency  # the ledger's currency: won deals post to it
    rules = DealRules.objects.create(
        tenant=tenant,
        required_fields=["customer_domain", "region"],
        min_value=Decimal("5000"),
        min_value_currency=currency,
        lifetime_days=90,
        max_extensions=1,
        extension_days=30,
        sla_hours=48,
        holiday_country="US" if tenant.slug == "acme" else "DE",
        business_timezone="America/New_York" if tenant.slug == "acme" else "Europe/Berlin",
    )
    RoutingRule.objects.create(
        tenant=tenant,
        position=1,
        name="Large EMEA deals",
        region="EMEA",
        min_value=Decimal("150000"),
        approver=staff["manager2"],
    )
    RoutingRule.objects.create(
        tenant=tenant, position=2, name="APAC (program queue)", region="APAC"
    )

    # The onboarding demo planned when partners register their first deal: register them, with
    # the decisions that followed (an old one won or lost, a recent one a live lock).
    first_deals = planned_first_deals()
    partners_by_id = PartnerOrganization.objects.in_bulk(list(first_deals))
    for index, (partner_id, submitted_at) in enumerate(sorted(first_deals.items())):
        deal = _first_deal(partners_by_id[partner_id], submitted_at, rng, currency=currency)
        deal.account = account_for(
            name=deal.customer_name, domain=deal.customer_domain, region=deal.region
        )
        decided = deal.submitted_at + timedelta(hours=rng.randint(4, 40))
        deal.decided_at, deal.approved_at = decided, decided
        deal.decided_by = deal.partner.channel_manager
        deal.expires_at = decided + timedelta(days=rules.lifetime_days)
        deal.assigned_to = deal.partner.channel_manager
        deal.sla_due_at = deal.submitted_at + timedelta(days=2)
        if deal.expires_at > now:
            deal.status = S.APPROVED
        else:
            deal.status = S.WON if index % 3 else S.LOST
            deal.closed_at = decided + timedelta(days=rng.randint(20, 80))
        deal.save()
        _event(deal, "submitted", deal.submitted_at, to_status=S.SUBMITTED)
        _event(deal, "approved", decided, by=deal.decided_by, from_status=S.SUBMITTED)
        if deal.status == S.WON:
            _post_won(deal)

    for name, domain, country, region in DIRECT:
        account = account_for(name=name, domain=domain, country=country, region=region)
        account.owner = staff["sales"]
        account.claimed_at = now - timedelta(days=rng.randint(30, 300))
        account.save(update_fields=["owner", "claimed_at"])
        DirectOpportunity.objects.create(
            tenant=tenant,
            account=account,
            name=f"{name} – platform renewal",
            owner=staff["sales"],
            amount=Decimal(rng.randrange(50_000, 400_000, 1000)),
        )

    partners = list(
        PartnerOrganization.objects.filter(state=LifecycleState.ACTIVE).order_by("name")[:10]
    )
    if not partners:
        return
    deals = []
    for index, ((name, domain, country, region), status) in enumerate(
        zip(CUSTOMERS, PLAN, strict=True)
    ):
        account = account_for(name=name, domain=domain, country=country, region=region)
        partner = partners[index % len(partners)]
        deal = _registration(
            partner, account, status, rng=rng, now=now, staff=staff, rules=rules, currency=currency
        )
        deals.append(deal)
        if deal.status == S.WON:
            _post_won(deal)

    # An SLA breach: submitted four working days ago, never decided, escalated.
    breached = next(d for d in deals if d.status == S.SUBMITTED)
    submitted = now - timedelta(days=6)
    DealRegistration.objects.filter(pk=breached.pk).update(
        created_at=submitted,
        submitted_at=submitted,
        sla_due_at=submitted + timedelta(days=2),
        sla_reminded_at=submitted + timedelta(days=1, hours=22),
        sla_escalated_at=submitted + timedelta(days=2),
    )
    _event(breached, "sla_escalated", submitted + timedelta(days=2), note="SLA of 48 h breached")

    # A conflict: another partner registers "Helios Health Inc." while Helios Health Group is
    # locked; the approver sees both side by side, the partner only that a conflict exists.
    locked = next(d for d in deals if d.status == S.APPROVED)
    rival = next((p for p in partners if p.pk != locked.partner_id), None)
    if rival is not None:
        similar = locked.customer_name.split()[0] + " " + locked.customer_name.split()[1] + " Inc."
        conflict = DealRegistration.objects.create(
            tenant=tenant,
            partner=rival,
            account=account_for(name=similar),
            customer_name=similar,
            customer_domain="",
            region=locked.region,
            estimated_value=Decimal("88000"),
            currency=currency,
            expected_close_date=(now + timedelta(days=60)).date(),
            status=S.SUBMITTED,
            created_at=now - timedelta(hours=5),
            submitted_at=now - timedelta(hours=5),
            assigned_to=rival.channel_manager or staff["manager"],
            sla_due_at=now + timedelta(hours=30),
        )
        conflicts_refresh(conflict)
        _event(conflict, "submitted", conflict.submitted_at, to_status=S.SUBMITTED)

    # An extension request on a lock that runs out soon.
    expiring = [d for d in deals if d.status == S.APPROVED]
    if len(expiring) > 1:
        soon = expiring[1]
        DealRegistration.objects.filter(pk=soon.pk).update(
            approved_at=now - timedelta(days=84), expires_at=now + timedelta(days=6)
        )
        ExtensionRequest.objects.create(
            tenant=tenant,
            registration=soon,
            reason="The customer's board meets next month; the PO follows that meeting.",
        )

    # A dispute: direct sales says a locked account was theirs first.
    if len(expiring) > 2:
        contested = expiring[2]
        dispute = Dispute.objects.create(
            tenant=tenant,
            account=contested.account,
            registration=contested,
            raised_by=staff["sales"],
            reason="We have been talking to this customer's CIO since spring; our opportunity "
            "predates the partner's registration.",
            created_at=now - timedelta(days=2),
        )
        DisputeComment.objects.create(
            tenant=tenant,
            dispute=dispute,
            author=contested.partner.channel_manager or staff["manager"],
            body="The partner ran the discovery workshop in March; notes attached to the deal.",
            created_at=now - timedelta(days=1),
        )
