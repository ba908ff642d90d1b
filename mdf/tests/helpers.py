"""Helpers for MDF tests: a fund, an allocation, an unlocked MDF benefit, request data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from mdf.models import CarryOver, FundPeriod
from mdf.services import ledger
from onboarding.models import Benefit, BenefitGate
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def actor(world, user):
    with tenant_context(world.tenant):
        return actor_for_user(user, world.tenant)


def quarter(today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    first_month = 3 * ((today.month - 1) // 3) + 1
    start = date(today.year, first_month, 1)
    end = (date(today.year + (first_month + 3 > 12), (first_month + 2) % 12 + 1, 1)) - timedelta(
        days=1
    )
    return start, end


def unlock_mdf(world) -> None:
    """No onboarding requirement for MDF in this tenant (the gate itself is tested apart)."""
    with tenant_context(world.tenant):
        BenefitGate.objects.update_or_create(benefit=Benefit.MDF, defaults={"requirements": []})


def make_fund(world, *, budget="100000", name="MDF this quarter", **extra):
    start, end = quarter()
    fields = {
        "name": name,
        "period": FundPeriod.QUARTER,
        "starts_on": start,
        "ends_on": end,
        "budget": budget,
        "carry_over": CarryOver.NONE,
        **extra,
    }
    with tenant_context(world.tenant):
        return ledger.fund_create(actor=actor(world, world.admin), **fields)


def funded(world, amount="10000", partner=None, **fund_extra):
    """A fund with `amount` allocated by hand to the world's partner; MDF unlocked."""
    unlock_mdf(world)
    fund = make_fund(world, **fund_extra)
    with tenant_context(world.tenant):
        allocation = ledger.allocation_set(
            actor=actor(world, world.admin),
            fund=fund,
            partner=partner or world.partner,
            amount=amount,
        )
    return fund, allocation


def request_data(**overrides) -> dict:
    today = timezone.localdate()
    start, _end = quarter()
    data = {
        "title": "Kubernetes day Berlin",
        "activity_type": "event",
        "starts_on": max(start, today),
        "ends_on": max(start, today) + timedelta(days=1),
        "amount": Decimal("4000"),
        "expected_leads": 40,
        "expected_pipeline": Decimal("200000"),
        "description": "A half-day workshop for 40 platform engineers.",
    }
    data.update(overrides)
    return data


def proof(name="invoice.pdf", content=PDF):
    return SimpleUploadedFile(name, content)


# --- Through-partner marketing --------------------------------------------------------------------

TEMPLATE_DATA = {
    "name": "Cloud security assessment",
    "summary": "Offer prospects a free assessment of their cloud setup.",
    "activity_type": "digital",
    "email_subject": "{{ first_name }}, is {{ company }}'s cloud secure?",
    "email_body": "Hi {{ first_name }},\n\n{{ partner_name }} offers: {{ offer }}.\n\n"
    "[Book it here]({{ landing_url }})",
    "landing_headline": "Secure your cloud with {{ partner_name }}",
    "landing_body": "Our experts check your setup in one day.\n\n**{{ offer }}**",
    "cta_label": "Book my assessment",
    "default_offer": "Free one-day assessment",
}


def make_template(world, *, publish=True, posts=("New: {{ offer }} from {{ partner_name }}",)):
    from mdf.models import TemplateStatus
    from mdf.services import campaigns

    with tenant_context(world.tenant):
        template = campaigns.template_save(
            actor=actor(world, world.marketing), social_posts=list(posts), **TEMPLATE_DATA
        )
        if publish:
            template = campaigns.template_set_status(
                actor=actor(world, world.marketing),
                template=template,
                status=TemplateStatus.PUBLISHED,
            )
    return template


def make_campaign(world, *, launch=True, user=None, template=None, **branding):
    from mdf.services import campaigns

    template = template or make_template(world)
    fields = {
        "name": "Spring cloud push",
        "brand_color": "#123456",
        "accent_color": "#abcdef",
        "contact_name": "Pat Partner",
        "contact_email": "pat@partner.test",
        "contact_phone": "+1 555 0101",
        "offer": "Free one-day assessment",
        **branding,
    }
    with tenant_context(world.tenant):
        who = actor(world, user or world.partner_marketing)
        campaign = campaigns.campaign_create(actor=who, template=template, **fields)
        if launch:
            campaign = campaigns.campaign_move(actor=who, campaign=campaign, move="launch")
    return campaign


def lead_data(**overrides) -> dict:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@analytical.test",
        "company": "Analytical Engines",
        "job_title": "CTO",
        "message": "Call me next week.",
    }
    data.update(overrides)
    return data
