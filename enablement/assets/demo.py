"""Demo data: ~30 assets spread over types, stages, tiers and roles (a few real PDF files, the rest
links), some with several versions and views/downloads; a five-stage sales playbook."""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from partners.models import PartnerType, Tier
from tenancy.access import actor_for_user
from tenancy.models import Membership
from tenancy.roles import Role

from . import services
from .models import Asset, AssetEvent, AssetType, PlaybookStage

STAGES = [
    (
        "Qualify",
        "Confirm there is a real project.\n\n- **Budget**: is money set aside?\n"
        "- **Authority**: who signs?\n- **Need** and **Timeline**: why now?",
    ),
    (
        "Discover",
        "Map the customer's current stack and pains. Bring a pre-sales colleague to the "
        "second meeting and use the discovery questionnaire.",
    ),
    (
        "Propose",
        "Tailor the standard deck to the pains you heard. Attach one relevant case study "
        "and the datasheet of each product you propose.",
    ),
    (
        "Negotiate",
        "Register the deal before discussing price. Use the battle card against the "
        "incumbent; escalate discounts beyond your tier margin to your channel manager.",
    ),
    (
        "Close",
        "Send the order form, agree the onboarding plan and book the kick-off. "
        "Log the win so it counts toward your tier.",
    ),
]

PRODUCTS = ["Cloud Suite", "Edge Gateway", "Analytics"]
# (title, type, product index, stage index or None, language, roles, types, top tier only, file)
CATALOGUE = [
    ("{p} overview deck", AssetType.DECK, 0, 2, "en", [], [], False, True),
    ("{p} overview deck", AssetType.DECK, 1, 2, "en", [], [], False, False),
    ("{p} overview deck (Deutsch)", AssetType.DECK, 0, 2, "de", [], [], False, False),
    ("{p} datasheet", AssetType.DATASHEET, 0, 2, "en", [], [], False, True),
    ("{p} datasheet", AssetType.DATASHEET, 1, 2, "en", [], [], False, True),
    ("{p} datasheet", AssetType.DATASHEET, 2, 2, "en", [], [], False, False),
    ("{p} fiche technique", AssetType.DATASHEET, 0, 2, "fr", [], [], False, False),
    ("{p} vs. the incumbent", AssetType.BATTLE_CARD, 0, 3, "en", [], [], False, True),
    ("{p} competitive battle card", AssetType.BATTLE_CARD, 1, 3, "en", [], [], False, False),
    ("{p} objection handling", AssetType.BATTLE_CARD, 2, 3, "en", [], [], True, False),
    (
        "{p} technical differentiators",
        AssetType.BATTLE_CARD,
        1,
        1,
        "en",
        [Role.PARTNER_PRESALES, Role.PARTNER_SALES],
        [],
        False,
        False,
    ),
    ("Retail chain saves 30% with {p}", AssetType.CASE_STUDY, 0, 2, "en", [], [], False, True),
    ("Hospital network on {p}", AssetType.CASE_STUDY, 1, 2, "en", [], [], False, False),
    ("Bank modernises with {p}", AssetType.CASE_STUDY, 2, 2, "en", [], [], True, False),
    ("{p} in manufacturing", AssetType.CASE_STUDY, 1, 2, "de", [], [], False, False),
    ("{p} five-minute demo", AssetType.VIDEO, 0, 1, "en", [], [], False, False),
    ("{p} architecture walkthrough", AssetType.VIDEO, 1, 1, "en", [], [], False, False),
    ("{p} dashboards tour", AssetType.VIDEO, 2, 1, "en", [], [], False, False),
    (
        "{p} installation guide",
        AssetType.OTHER,
        1,
        4,
        "en",
        [Role.PARTNER_PRESALES, Role.PARTNER_ADMIN],
        [],
        False,
        False,
    ),
    ("Discovery questionnaire", AssetType.OTHER, 0, 1, "en", [], [], False, False),
    ("Qualification checklist", AssetType.OTHER, 0, 0, "en", [], [], False, False),
    ("Order form template", AssetType.OTHER, 0, 4, "en", [Role.PARTNER_SALES], [], False, False),
    (
        "Co-marketing email kit",
        AssetType.OTHER,
        0,
        None,
        "en",
        [Role.PARTNER_MARKETING],
        [],
        False,
        False,
    ),
    (
        "Social media banners",
        AssetType.OTHER,
        2,
        None,
        "en",
        [Role.PARTNER_MARKETING],
        [],
        False,
        False,
    ),
    (
        "Campaign-in-a-box: {p}",
        AssetType.DECK,
        2,
        None,
        "en",
        [Role.PARTNER_MARKETING],
        [],
        False,
        False,
    ),
    (
        "Reseller pricing guide",
        AssetType.OTHER,
        0,
        3,
        "en",
        [Role.PARTNER_SALES, Role.PARTNER_ADMIN],
        [PartnerType.RESELLER],
        False,
        False,
    ),
    ("MSP packaging guide", AssetType.DECK, 1, 2, "en", [], [PartnerType.MSP], False, False),
    (
        "ISV integration datasheet",
        AssetType.DATASHEET,
        2,
        1,
        "en",
        [],
        [PartnerType.ISV],
        False,
        False,
    ),
    ("Executive briefing deck", AssetType.DECK, 0, 2, "en", [], [], True, False),
    ("{p} roadmap (NDA)", AssetType.DECK, 0, None, "en", [], [], True, False),
    (
        "{p} negotiation playbook",
        AssetType.OTHER,
        2,
        3,
        "en",
        [Role.PARTNER_SALES],
        [],
        False,
        False,
    ),
]


def _pdf_bytes(tenant) -> bytes:
    try:
        from weasyprint import HTML

        html = f"<h1>{tenant.name}</h1><p>Partner enablement material.</p>"
        return HTML(string=html).write_pdf()
    except Exception:  # noqa: BLE001 - a missing system library must not break the demo
        return (
            b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
            b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
        )


def seed(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). Idempotent: does nothing when the library exists."""
    if Asset.objects.exists() or PlaybookStage.objects.exists():
        return
    actor = actor_for_user(staff["admin"], tenant)
    rng = random.Random(f"assets-{tenant.slug}")
    stages = [
        services.stage_save(actor=actor, name=name, position=i + 1, guidance=guidance)
        for i, (name, guidance) in enumerate(STAGES)
    ]
    top_tiers = list(Tier.objects.order_by("-rank")[:2])
    pdf = _pdf_bytes(tenant)
    slug_base = f"https://example.com/{tenant.slug}/assets"
    assets = []
    for n, (title, kind, product, stage, lang, roles, types, top, has_file) in enumerate(CATALOGUE):
        name = title.format(p=PRODUCTS[product])
        upload = SimpleUploadedFile(f"{kind}-{n}.pdf", pdf) if has_file else None
        asset = services.asset_create(
            actor=actor,
            title=name,
            type=kind,
            description=f"{name} for {PRODUCTS[product]} partners.",
            product=PRODUCTS[product],
            stage=stages[stage] if stage is not None else None,
            language=lang,
            tiers=top_tiers if top else [],
            partner_types=types,
            partner_roles=roles,
            is_published=n % 13 != 12,  # a couple of drafts
            file=upload,
            url="" if has_file else f"{slug_base}/{n}",
            notes="Initial release.",
        )
        if n % 5 == 0:  # a few assets have been revised
            services.asset_version_add(
                actor=actor, asset=asset, url=f"{slug_base}/{n}/v2", notes="Updated figures."
            )
        assets.append(asset)
    for stage in stages:
        picks = [a for a in assets if a.stage_id == stage.pk][:4]
        for position, asset in enumerate(picks, start=1):
            services.stage_asset_add(
                actor=actor, stage=stage, asset=asset, position=position, note=""
            )
    members = list(
        Membership.objects.filter(
            role__in=[Role.PARTNER_SALES, Role.PARTNER_PRESALES, Role.PARTNER_MARKETING],
            is_active=True,
        ).order_by("pk")[:20]
    )
    if not members:
        return
    now = timezone.now()
    events = []
    for asset in assets:
        for _ in range(rng.randint(0, 8)):
            member = rng.choice(members)
            events.append(
                AssetEvent(
                    asset=asset,
                    user_id=member.user_id,
                    partner_organization_id=member.partner_organization_id,
                    kind=rng.choice(["view", "view", "download"]),
                    at=now - timedelta(days=rng.randint(0, 60), minutes=rng.randint(0, 600)),
                    tenant=tenant,
                )
            )
    AssetEvent.objects.bulk_create(events)
