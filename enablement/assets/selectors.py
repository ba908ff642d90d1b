"""Reads of the asset library and the playbook, scoped to what the actor may see (in SQL)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Exists, Min, OuterRef, Prefetch, Q, QuerySet

from tenancy.access import Actor, Perm

from .models import (
    MARKETING_TYPES,
    TECHNICAL_ROLE,
    Asset,
    AssetEvent,
    AssetVersion,
    EventKind,
    PlaybookStage,
    PlaybookStageAsset,
)


def _json_list_has(field: str, value: str) -> Q:
    # NOTE: portable across SQLite and Postgres (JSON `contains` is Postgres-only): the list is
    # matched as text on the quoted token; values are slugs, so `"value"` cannot match partially.
    return Q(**{f"{field}__icontains": f'"{value}"'})


def assets_visible_to(actor: Actor) -> QuerySet[Asset]:
    """Every asset for vendor staff with PROGRAM_VIEW; for a partner user, the published assets
    their organisation's tier and type and their role allow (rule: see models' docstring)."""
    qs = Asset.objects.all()
    if actor.has(Perm.PROGRAM_VIEW):
        return qs
    if not actor.is_partner or actor.partner_organization_id is None:
        return qs.none()
    from partners.models import PartnerOrganization

    org = (
        PartnerOrganization.objects.filter(pk=actor.partner_organization_id)
        .values("tier_id", "partner_type")
        .first()
    )
    if org is None:
        return qs.none()
    through = Asset.tiers.through
    any_tier = ~Exists(through.objects.filter(asset_id=OuterRef("pk")))
    tier_ok = any_tier
    if org["tier_id"] is not None:
        tier_ok |= Exists(through.objects.filter(asset_id=OuterRef("pk"), tier_id=org["tier_id"]))
    type_ok = Q(partner_types=[]) | _json_list_has("partner_types", org["partner_type"])
    role = actor.role
    default_audience = Q(partner_roles=[])
    if role == TECHNICAL_ROLE:
        default_audience &= ~Q(type__in=MARKETING_TYPES)
    role_ok = default_audience | _json_list_has("partner_roles", role)
    return qs.filter(tier_ok, type_ok, role_ok, is_published=True)


def asset_library(
    actor: Actor,
    *,
    q: str = "",
    type: str = "",
    product: str = "",
    stage: str = "",
    language: str = "",
) -> QuerySet[Asset]:
    """The library page: visible assets, filtered, with stage and current version in a fixed
    number of queries: the columns the page and its CSV show, and each asset's newest version
    only (`newest_versions`, a list of one or none), not all of its versions."""
    qs = assets_visible_to(actor).select_related("stage").only(*LIBRARY_FIELDS)
    if q:
        qs = qs.filter(
            Q(title__icontains=q) | Q(description__icontains=q) | Q(product__icontains=q)
        )
    if type:
        qs = qs.filter(type=type)
    if product:
        qs = qs.filter(product=product)
    if stage:
        qs = qs.filter(stage__uuid=stage)
    if language:
        qs = qs.filter(language=language)
    return qs.prefetch_related(newest_versions())


# What the library page and its CSV show of an asset (the sorts read title, type, product and
# updated_at).
LIBRARY_FIELDS = (
    "uuid",
    "title",
    "description",
    "type",
    "product",
    "language",
    "updated_at",
    "stage__name",
)


def newest_versions() -> Prefetch:
    """Prefetch of each asset's newest version into `newest_versions` (a list of one, or empty
    for an asset without versions): the versions no newer version of their asset exists for, so
    the query returns one row per asset however many versions it has."""
    newer = AssetVersion.objects.filter(
        asset_id=OuterRef("asset_id"), number__gt=OuterRef("number")
    )
    return Prefetch(
        "versions",
        queryset=AssetVersion.objects.filter(~Exists(newer)).only("asset_id", "number", "file"),
        to_attr="newest_versions",
    )


def search_assets(actor: Actor, q: str) -> QuerySet[Asset]:
    """Portal search: visible assets whose title, description or product contains `q`."""
    q = (q or "").strip()
    if not q:
        return Asset.objects.none()
    return (
        assets_visible_to(actor)
        .filter(Q(title__icontains=q) | Q(description__icontains=q) | Q(product__icontains=q))
        .select_related("stage")
    )


def library_facets(actor: Actor) -> dict:
    visible = assets_visible_to(actor)
    return {
        "products": sorted(
            p for p in visible.values_list("product", flat=True).distinct().order_by() if p
        ),
        "languages": sorted(set(visible.values_list("language", flat=True).order_by())),
        "stages": list(PlaybookStage.objects.all()),
    }


def asset_detail(actor: Actor) -> QuerySet[Asset]:
    return (
        assets_visible_to(actor)
        .select_related("stage")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=AssetVersion.objects.select_related("uploaded_by").order_by("-number"),
            ),
            "tiers",
        )
    )


def console_assets(actor: Actor) -> QuerySet[Asset]:
    """Console list: every asset with its download and view counts."""
    return (
        assets_visible_to(actor)
        .select_related("stage")
        .annotate(
            # distinct: the join with versions repeats each event once per version.
            download_count=Count(
                "events", filter=Q(events__kind=EventKind.DOWNLOAD), distinct=True
            ),
            view_count=Count("events", filter=Q(events__kind=EventKind.VIEW), distinct=True),
            version_count=Count("versions", distinct=True),
        )
        .prefetch_related("tiers")
    )


def versions_of(actor: Actor, asset: Asset) -> QuerySet[AssetVersion]:
    return AssetVersion.objects.filter(asset=asset, asset__in=assets_visible_to(actor))


def asset_events(asset: Asset) -> QuerySet[AssetEvent]:
    return AssetEvent.objects.filter(asset=asset).select_related("user", "partner_organization")


def playbook_stages(actor: Actor) -> QuerySet[PlaybookStage]:
    """Stages in order, each with its recommended assets the actor may see."""
    links = (
        PlaybookStageAsset.objects.filter(asset__in=assets_visible_to(actor))
        .select_related("asset")
        .order_by("position", "id")
    )
    return PlaybookStage.objects.order_by("position", "id").prefetch_related(
        Prefetch("stage_assets", queryset=links, to_attr="visible_links")
    )


def first_download_at(partner_ids) -> dict[int, datetime]:
    """{partner id: when someone of the partner first downloaded an asset} (onboarding's
    "first asset" milestone)."""
    rows = (
        AssetEvent.objects.filter(kind=EventKind.DOWNLOAD, partner_organization_id__in=partner_ids)
        .values("partner_organization_id")
        .annotate(first=Min("at"))
    )
    return {row["partner_organization_id"]: row["first"] for row in rows}
