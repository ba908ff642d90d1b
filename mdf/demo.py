"""Demo data for MDF: a fund around today (budget, cap, carry-over share, marketing threshold)
allocated by the tier rules (and by hand where no partner qualifies), with requests in every
state: awaiting the manager, awaiting marketing, changes requested, approved, claimed (one of
them late), paid with its payout and remittance, rejected, withdrawn and closed unclaimed.
Runs last: requests need partners whose MDF benefit is unlocked by onboarding.

Idempotent: nothing is added once the tenant has a fund."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onboarding.models import Benefit
from onboarding.services.progress import benefit_status
from partners.models import PartnerOrganization
from tenancy.access import actor_for_user
from tenancy.context import require_current_tenant
from tenancy.models import Membership
from tenancy.roles import Role

from .models import CarryOver, Fund, FundPeriod, FundRequest, RequestStatus
from .services import ledger
from .services import requests as mdf

INVOICE = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

# (title, type, days from today the activity starts, length in days, amount, leads, pipeline)
ACTIVITIES = [
    ("Cloud cost workshop, Chicago", "event", -80, 1, "6500", 45, "320000"),
    ("Q4 security webinar series", "webinar", -60, 21, "3200", 120, "410000"),
    ("LinkedIn campaign: migration offer", "digital", -50, 30, "4800", 60, "250000"),
    ("Partner summit booth", "trade_show", -35, 3, "14000", 150, "900000"),
    ("Customer case study video", "content", -20, 10, "5200", 10, "60000"),
    ("Hands-on lab for SREs", "training", 10, 2, "2600", 25, "140000"),
    ("Executive dinner, Boston", "event", 20, 1, "7800", 12, "500000"),
    ("Email nurture: platform upgrade", "email", 15, 30, "1900", 40, "120000"),
    ("Regional roadshow", "event", 30, 5, "12500", 90, "700000"),
    ("Retargeting ads", "digital", 5, 20, "2100", 35, "90000"),
]


def _partner_actor(partner, tenant):
    membership = (
        Membership.objects.filter(
            partner_organization_id=partner.pk,
            role__in=[Role.PARTNER_ADMIN, Role.PARTNER_MARKETING],
            is_active=True,
        )
        .select_related("user")
        .order_by("role", "user__email")
        .first()
    )
    return actor_for_user(membership.user, tenant) if membership else None


def seed(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). staff: role name -> User (admin, manager, marketing...)."""
    tenant = tenant or require_current_tenant()
    if Fund.objects.exists():
        return
    today = timezone.localdate()
    admin = actor_for_user(staff["admin"], tenant)
    marketing = actor_for_user(staff["marketing"], tenant)
    fund = ledger.fund_create(
        actor=admin,
        name=f"MDF {today.year} program fund",
        period=FundPeriod.HALF,
        starts_on=today - timedelta(days=90),
        ends_on=today + timedelta(days=90),
        budget="600000",
        allocation_cap="40000",
        carry_over=CarryOver.SHARE,
        carry_over_pct=Decimal("50"),
        claim_days=30,
        marketing_threshold="10000",
    )
    ledger.allocations_run(actor=admin, fund=fund, today=today)
    # Partners whose onboarding unlocked MDF request funds; each gets an allocation (by hand
    # where the tier rules gave it none).
    requesters = []
    for partner in PartnerOrganization.objects.select_related("channel_manager").order_by("name"):
        actor = _partner_actor(partner, tenant)
        if actor is None or not benefit_status(actor, Benefit.MDF).unlocked:
            continue
        allocation = fund.allocations.filter(partner=partner).first()
        if allocation is None or allocation.available < Decimal("30000"):
            allocation = ledger.allocation_set(
                actor=admin,
                fund=fund,
                partner=partner,
                amount="45000",
                note="Launch budget agreed in the partner plan",
            )
        requesters.append((partner, actor, allocation))
    if not requesters:
        return
    created = []
    for index, (title, kind, offset, length, amount, leads, pipeline) in enumerate(ACTIVITIES):
        partner, actor, allocation = requesters[index % len(requesters)]
        starts = max(fund.starts_on, today + timedelta(days=offset))
        created.append(
            (
                mdf.request_submit(
                    actor=actor,
                    allocation=allocation,
                    title=title,
                    activity_type=kind,
                    starts_on=starts,
                    ends_on=starts + timedelta(days=length),
                    amount=Decimal(amount),
                    expected_leads=leads,
                    expected_pipeline=Decimal(pipeline),
                    description=f"{title}: invitations to our joint customer list, follow-up "
                    "calls by our inside sales within a week.",
                ),
                actor,
            )
        )

    def manager_of(fund_request):
        user = fund_request.partner.channel_manager or staff["admin"]
        return actor_for_user(user, tenant)

    def approve(fund_request, **extra):
        mdf.request_decide(
            actor=manager_of(fund_request), fund_request=fund_request, decision="approve", **extra
        )
        fund_request.refresh_from_db()
        if fund_request.status == RequestStatus.MARKETING_REVIEW:
            mdf.request_decide(actor=marketing, fund_request=fund_request, decision="approve")
            fund_request.refresh_from_db()

    def claim(fund_request, actor, spent, leads, pipeline):
        return mdf.claim_submit(
            actor=actor,
            fund_request=fund_request,
            spent=spent,
            spent_currency=fund_request.currency,
            leads=leads,
            pipeline=pipeline,
            notes="Attendance above plan; three opportunities already registered.",
            files=[("invoice", SimpleUploadedFile("invoice.pdf", INVOICE))],
        )

    (paid, a1), (paid2, a2), (claimed, a3), (late, a4), (approved, _a5), *rest = created
    # Paid: approved, claimed (one for less than approved), approved, paid.
    for fund_request, actor, spent in ((paid, a1, "6100"), (paid2, a2, "3200")):
        approve(fund_request)
        done = claim(fund_request, actor, spent, 48, "350000")
        mdf.claim_decide(actor=manager_of(fund_request), claim=done, decision="approve")
        mdf.payout_record(
            actor=admin,
            claim=done,
            method="bank_transfer",
            reference=f"MDF-{fund_request.uuid.hex[:6].upper()}",
            paid_on=today - timedelta(days=3),
        )
    # Claimed and awaiting review; the trade show's claim is late (deadline moved into the past
    # as if the activity had ended two months ago).
    approve(claimed)
    claim(claimed, a3, "4650", 52, "260000")
    approve(late)
    FundRequest.objects.filter(pk=late.pk).update(claim_deadline=today - timedelta(days=5))
    late.refresh_from_db()
    claim(late, a4, "13800", 160, "950000")
    # Approved, waiting for the activity and its claim.
    approve(approved)
    # The rest: the lab awaits its manager; the others are rejected, sent back for changes,
    # awaiting marketing (above the threshold) and withdrawn.
    _waiting, rejected, changes, above, withdrawn = [r for r, _a in rest]
    mdf.request_decide(
        actor=manager_of(rejected),
        fund_request=rejected,
        decision="reject",
        comment="Dinners are not MDF-eligible this half; let's plan a workshop instead.",
    )
    mdf.request_decide(
        actor=manager_of(changes),
        fund_request=changes,
        decision="changes",
        comment="Please add the target account list and the follow-up plan.",
    )
    mdf.request_decide(actor=manager_of(above), fund_request=above, decision="approve")
    withdrawn_actor = next(a for r, a in rest if r == withdrawn)
    mdf.request_withdraw(actor=withdrawn_actor, fund_request=withdrawn)
