"""Demo data: ~30 assets spread over types, stages, tiers and roles, each with a real generated file
(decks as slides, documents, video transcripts; demo_files), some with a second version, and
views/downloads; a five-stage sales playbook."""

from __future__ import annotations

import random
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from partners.models import PartnerType, Tier
from tenancy.access import actor_for_user
from tenancy.models import Membership
from tenancy.roles import Role

from . import demo_files, services
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
# (title, type, product index, stage index or None, language, roles, types, top tier only)
CATALOGUE = [
    ("{p} overview deck", AssetType.DECK, 0, 2, "en", [], [], False),
    ("{p} overview deck", AssetType.DECK, 1, 2, "en", [], [], False),
    ("{p} overview deck (Deutsch)", AssetType.DECK, 0, 2, "de", [], [], False),
    ("{p} datasheet", AssetType.DATASHEET, 0, 2, "en", [], [], False),
    ("{p} datasheet", AssetType.DATASHEET, 1, 2, "en", [], [], False),
    ("{p} datasheet", AssetType.DATASHEET, 2, 2, "en", [], [], False),
    ("{p} fiche technique", AssetType.DATASHEET, 0, 2, "fr", [], [], False),
    ("{p} vs. the incumbent", AssetType.BATTLE_CARD, 0, 3, "en", [], [], False),
    ("{p} competitive battle card", AssetType.BATTLE_CARD, 1, 3, "en", [], [], False),
    ("{p} objection handling", AssetType.BATTLE_CARD, 2, 3, "en", [], [], True),
    (
        "{p} technical differentiators",
        AssetType.BATTLE_CARD,
        1,
        1,
        "en",
        [Role.PARTNER_PRESALES, Role.PARTNER_SALES],
        [],
        False,
    ),
    ("Retail chain saves 30% with {p}", AssetType.CASE_STUDY, 0, 2, "en", [], [], False),
    ("Hospital network on {p}", AssetType.CASE_STUDY, 1, 2, "en", [], [], False),
    ("Bank modernises with {p}", AssetType.CASE_STUDY, 2, 2, "en", [], [], True),
    ("{p} in manufacturing", AssetType.CASE_STUDY, 1, 2, "de", [], [], False),
    ("{p} five-minute demo", AssetType.VIDEO, 0, 1, "en", [], [], False),
    ("{p} architecture walkthrough", AssetType.VIDEO, 1, 1, "en", [], [], False),
    ("{p} dashboards tour", AssetType.VIDEO, 2, 1, "en", [], [], False),
    (
        "{p} installation guide",
        AssetType.OTHER,
        1,
        4,
        "en",
        [Role.PARTNER_PRESALES, Role.PARTNER_ADMIN],
        [],
        False,
    ),
    ("Discovery questionnaire", AssetType.OTHER, 0, 1, "en", [], [], False),
    ("Qualification checklist", AssetType.OTHER, 0, 0, "en", [], [], False),
    ("Order form template", AssetType.OTHER, 0, 4, "en", [Role.PARTNER_SALES], [], False),
    (
        "Co-marketing email kit",
        AssetType.OTHER,
        0,
        None,
        "en",
        [Role.PARTNER_MARKETING],
        [],
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
    ),
    ("MSP packaging guide", AssetType.DECK, 1, 2, "en", [], [PartnerType.MSP], False),
    (
        "ISV integration datasheet",
        AssetType.DATASHEET,
        2,
        1,
        "en",
        [],
        [PartnerType.ISV],
        False,
    ),
    ("Executive briefing deck", AssetType.DECK, 0, 2, "en", [], [], True),
    ("{p} roadmap (NDA)", AssetType.DECK, 0, None, "en", [], [], True),
    (
        "{p} negotiation playbook",
        AssetType.OTHER,
        2,
        3,
        "en",
        [Role.PARTNER_SALES],
        [],
        False,
    ),
]


def _file_for(asset_title: str, kind: str, product: str, company: str, version: int):
    """A real file for a demo asset: a deck as 16:9 slides, everything else as a short document
    (a video as its transcript: the recording itself is hosted by the vendor)."""
    if kind == AssetType.DECK:
        data = demo_files.deck_pdf(
            title=asset_title, product=product, company=company, version=version
        )
    else:
        label = (
            str(_("Video transcript")) if kind == AssetType.VIDEO else str(AssetType(kind).label)
        )
        data = demo_files.asset_pdf(
            title=asset_title, kind_label=label, product=product, company=company, version=version
        )
    name = f"{slugify(asset_title) or 'asset'}-v{version}.pdf"
    return SimpleUploadedFile(name, data, content_type="application/pdf")


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
    assets = []
    for n, (title, kind, product, stage, lang, roles, types, top) in enumerate(CATALOGUE):
        name = title.format(p=PRODUCTS[product])
        # Every asset ships a real file, stored through the same upload path as the console's.
        upload = _file_for(name, kind, PRODUCTS[product], tenant.name, 1)
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
            url="",
            notes="Initial release.",
        )
        if n % 5 == 0:  # a few assets have been revised
            services.asset_version_add(
                actor=actor,
                asset=asset,
                file=_file_for(name, kind, PRODUCTS[product], tenant.name, 2),
                notes="Updated figures.",
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
        for _event in range(rng.randint(0, 8)):
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
