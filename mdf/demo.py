"""Demo data for MDF: a fund around today (budget, cap, carry-over share, marketing threshold)
allocated by the tier rules (and by hand where no partner qualifies), with requests in every
state: awaiting the manager, awaiting marketing, changes requested, approved, claimed (one of
them late), paid with its payout and remittance, rejected, withdrawn and closed unclaimed.
Runs last: requests need partners whose MDF benefit is unlocked by onboarding.

Through-partner marketing: three campaign templates (two published), two partners' co-branded
campaigns paid by their MDF activities, with leads from the landing page and tracked social links,
one registered as a deal and won (so the ROI page has a return), and an email list waiting to be
sent.

Idempotent: no funds are added once the tenant has a fund, no campaigns once it has a template."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onboarding.models import Benefit
from onboarding.services.progress import benefit_status
from partners.models import PartnerOrganization
from tenancy.access import Perm, actor_for_user
from tenancy.context import require_current_tenant
from tenancy.models import Membership
from tenancy.roles import Role

from .models import (
    CampaignTemplate,
    CarryOver,
    Fund,
    FundPeriod,
    FundRequest,
    RequestStatus,
    TemplateStatus,
)
from .services import campaigns, ledger
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
    if not Fund.objects.exists():
        _seed_funds(tenant, staff=staff)
    if not CampaignTemplate.objects.exists():
        seed_campaigns(tenant, staff=staff)


def _seed_funds(tenant, *, staff) -> None:
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


TEMPLATES = [
    {
        "name": "Cloud migration assessment",
        "summary": "A free migration assessment offer: landing page, email and three posts.",
        "activity_type": "digital",
        "email_subject": "What would moving {{ company }} to the cloud save?",
        "email_body": "Hi {{ first_name }},\n\nMost teams we meet overspend on infrastructure "
        "by a third. **{{ offer }}**: our engineers map your workloads and show what moving "
        "them would cost and save.\n\n[Book your assessment]({{ landing_url }})\n\n"
        "{{ contact_name }}, {{ partner_name }}",
        "landing_headline": "Move to the cloud with {{ partner_name }}",
        "landing_body": "{{ partner_name }} is a certified {{ program_name }} partner.\n\n"
        "- A map of your workloads and their dependencies\n- A cost comparison, month by "
        "month\n- A migration plan you can act on",
        "cta_label": "Book my assessment",
        "default_offer": "Free two-day migration assessment",
        "social_posts": [
            "Thinking about the cloud? {{ offer }} from {{ partner_name }}. {{ landing_url }}",
            "We map your workloads, compare the costs and plan the move: {{ landing_url }}",
        ],
    },
    {
        "name": "Security webinar invitation",
        "summary": "Invite prospects to a security webinar you host.",
        "activity_type": "webinar",
        "email_subject": "Join {{ partner_name }}'s security webinar",
        "email_body": "Hi {{ first_name }},\n\nJoin us for 45 minutes on securing "
        "hybrid clouds, with a live demo and time for your questions.\n\n"
        "[Save your seat]({{ landing_url }})",
        "landing_headline": "Securing hybrid clouds: a live webinar",
        "landing_body": "Hosted by {{ contact_name }}: 45 minutes on securing hybrid clouds, "
        "with a live demo and time for your questions.",
        "cta_label": "Save my seat",
        "default_offer": "Every attendee gets a security checklist",
        "social_posts": ["Join our live webinar on hybrid-cloud security: {{ landing_url }}"],
    },
    {
        "name": "Year-end upgrade offer",
        "summary": "Upgrade offer for existing customers (draft: marketing is still writing it).",
        "activity_type": "email",
        "email_subject": "Your year-end upgrade offer",
        "email_body": "Hi {{ first_name }},\n\n{{ offer }}",
        "landing_headline": "Upgrade before the year ends",
        "landing_body": "{{ offer }}",
        "cta_label": "Contact me",
        "default_offer": "",
        "social_posts": [],
    },
]

# (first, last, company, title, channel) for each campaign's leads
LEADS = [
    [
        ("Maria", "Gonzalez", "Northwind Logistics", "CTO", "linkedin"),
        ("James", "Okafor", "Bluefin Insurance", "Head of Infrastructure", "landing"),
        ("Priya", "Raman", "Contoso Retail", "IT Director", "email"),
        ("Tom", "Becker", "Fabrikam Foods", "Cloud Architect", "x"),
        ("Lena", "Novak", "Adatum Health", "VP Engineering", "linkedin"),
        ("Kenji", "Sato", "Litware Media", "Platform Lead", "landing"),
    ],
    [
        ("Sofia", "Rossi", "Tailspin Travel", "Security Officer", "landing"),
        ("Ahmed", "Hassan", "Proseware Labs", "CISO", "linkedin"),
        ("Emma", "Clarke", "Wingtip Energy", "IT Manager", "facebook"),
        ("Lucas", "Meyer", "Coho Vineyards", "Operations Director", "landing"),
    ],
]


def seed_campaigns(tenant, *, staff) -> None:
    """Templates, two partners' campaigns paid by their MDF activities, their leads."""
    from dealreg.services.decisions import deal_approve
    from dealreg.services.outcomes import deal_outcome

    marketing = actor_for_user(staff["marketing"], tenant)
    templates = []
    for data in TEMPLATES:
        fields = dict(data)
        posts = fields.pop("social_posts")
        template = campaigns.template_save(actor=marketing, social_posts=posts, **fields)
        if fields["default_offer"]:
            template = campaigns.template_set_status(
                actor=marketing, template=template, status=TemplateStatus.PUBLISHED
            )
        templates.append(template)
    funded = list(
        FundRequest.objects.filter(status__in=campaigns.FUNDABLE)
        .select_related("partner")
        .order_by("submitted_at", "id")
    )
    plans = []  # (template, fund request) for two different partners
    for template, kinds in ((templates[0], ("digital",)), (templates[1], ("webinar", "event"))):
        taken = {request.partner_id for _t, request in plans}
        match = next(
            (r for r in funded if r.activity_type in kinds and r.partner_id not in taken),
            next((r for r in funded if r.partner_id not in taken), None),
        )
        if match is not None:
            plans.append((template, match))
    today = timezone.localdate()
    for number, (template, fund_request) in enumerate(plans):
        actor = _partner_actor(fund_request.partner, tenant)
        if actor is None:
            continue
        user = actor.user
        campaign = campaigns.campaign_create(
            actor=actor,
            template=template,
            fund_request=fund_request,
            name=f"{template.name} – {fund_request.partner.name}",
            brand_color=("#0b5394", "#38761d")[number],
            accent_color=("#f1c232", "#e69138")[number],
            contact_name=("Dana Whitfield", "Marco Bianchi")[number],
            contact_email=user.email,
            contact_phone=f"+1 312 555 01{10 + number:02d}",
            offer=template.default_offer,
        )
        campaign = campaigns.campaign_move(actor=actor, campaign=campaign, move="launch")
        links = {link.channel: link for link in campaign.links.all()}
        leads = []
        for index, (first, last, company, title, channel) in enumerate(LEADS[number]):
            link = links.get(channel)
            if link is not None:
                campaigns.link_follow(link.key)
            lead, _created = campaigns.lead_capture(
                campaign=campaign,
                data={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{first.lower()}.{last.lower()}@{company.split()[0].lower()}.example",
                    "company": company,
                    "job_title": title,
                    "message": "Please call me about next quarter." if index % 2 else "",
                    "marketing_consent": index % 3 != 2,
                },
                via=link.key if link is not None else "",
            )
            leads.append(lead)
        # The first lead became a deal, approved and won: the ROI page shows a return.
        if (
            actor.has(Perm.DEALS_REGISTER)
            and benefit_status(actor, Benefit.DEAL_REGISTRATION).unlocked
        ):
            lead = leads[0]
            deal = campaigns.lead_register_deal(
                actor=actor,
                lead=lead,
                customer_name=lead.company,
                customer_domain=lead.email.rsplit("@", 1)[1],
                customer_country="US",
                region="NA",
                contact_name=lead.full_name,
                contact_email=lead.email,
                products=["Cloud platform"],
                estimated_value=Decimal("48000") + 12000 * number,
                currency=fund_request.currency,
                expected_close_date=today + timedelta(days=45),
                partner_notes="From the co-branded campaign.",
            )
            if deal.status != "approved":
                approver = fund_request.partner.channel_manager or staff["admin"]
                deal = deal_approve(actor=actor_for_user(approver, tenant), registration=deal)
            if number == 0:
                closer = fund_request.partner.channel_manager or staff["admin"]
                deal_outcome(
                    actor=actor_for_user(closer, tenant),
                    registration=deal,
                    outcome="won",
                    value=Decimal("52500"),
                )
        if number == 0:
            rows = "email,first_name,company\n" + "".join(
                f"contact{i}@prospect{i}.example,Contact {i},Prospect {i} Inc\n"
                for i in range(1, 9)
            )
            campaigns.recipients_upload(
                actor=actor,
                campaign=campaign,
                upload=SimpleUploadedFile("list.csv", rows.encode(), "text/csv"),
                consent_confirmed=True,
            )
