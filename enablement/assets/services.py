"""Writes of the asset library and the playbook: assets, versions (validated uploads), tracking
events, stages and their recommended assets."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.access import Actor, Perm, require
from tenancy.audit import audit_record
from tenancy.roles import PARTNER_ROLES
from tenancy.uploads import DOCUMENT_KINDS, sniff_upload

from .models import (
    Asset,
    AssetEvent,
    AssetType,
    AssetVersion,
    EventKind,
    PlaybookStage,
    PlaybookStageAsset,
)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _clean_visibility(partner_types, partner_roles) -> tuple[list[str], list[str]]:
    from partners.models import PartnerType

    partner_types = sorted(set(partner_types or []))
    partner_roles = sorted(set(partner_roles or []))
    bad_types = [t for t in partner_types if t not in PartnerType.values]
    bad_roles = [r for r in partner_roles if r not in PARTNER_ROLES]
    errors = {}
    if bad_types:
        errors["partner_types"] = _("Unknown partner type: %(v)s") % {"v": ", ".join(bad_types)}
    if bad_roles:
        errors["partner_roles"] = _("Unknown partner role: %(v)s") % {"v": ", ".join(bad_roles)}
    if errors:
        raise ValidationError(errors)
    return partner_types, partner_roles


def _visibility_snapshot(asset: Asset) -> dict[str, Any]:
    return {
        "tiers": sorted(str(t.uuid) for t in asset.tiers.all()),
        "partner_types": asset.partner_types,
        "partner_roles": asset.partner_roles,
        "is_published": asset.is_published,
    }


@transaction.atomic
def asset_create(
    *,
    actor: Actor,
    title: str,
    type: str,
    description: str = "",
    product: str = "",
    stage: PlaybookStage | None = None,
    language: str = "en",
    tiers=(),
    partner_types=(),
    partner_roles=(),
    is_published: bool = False,
    file=None,
    url: str = "",
    notes: str = "",
) -> Asset:
    require(actor, Perm.PROGRAM_MANAGE)
    partner_types, partner_roles = _clean_visibility(partner_types, partner_roles)
    if type not in AssetType.values:
        raise ValidationError({"type": _("Unknown asset type.")})
    asset = Asset(
        title=title,
        type=type,
        description=description,
        product=product,
        stage=stage,
        language=language or "en",
        partner_types=partner_types,
        partner_roles=partner_roles,
        is_published=is_published,
    )
    asset.full_clean(exclude=["tenant"])
    asset.save()
    asset.tiers.set(list(tiers or []))
    if file is not None or url:
        asset_version_add(actor=actor, asset=asset, file=file, url=url, notes=notes)
    audit_record(
        actor=actor, action="asset.created", target=asset, changes=_visibility_snapshot(asset)
    )
    return asset


@transaction.atomic
def asset_update(*, actor: Actor, asset: Asset, **fields) -> Asset:
    """Change an asset's details and visibility; visibility changes are audited."""
    require(actor, Perm.PROGRAM_MANAGE)
    before = _visibility_snapshot(asset)
    tiers = fields.pop("tiers", None)
    if "partner_types" in fields or "partner_roles" in fields:
        fields["partner_types"], fields["partner_roles"] = _clean_visibility(
            fields.get("partner_types", asset.partner_types),
            fields.get("partner_roles", asset.partner_roles),
        )
    allowed = {
        "title",
        "description",
        "type",
        "product",
        "stage",
        "language",
        "partner_types",
        "partner_roles",
        "is_published",
    }
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError(_("Unknown field %(name)s.") % {"name": name})
        setattr(asset, name, value)
    asset.updated_at = timezone.now()
    asset.full_clean(exclude=["tenant"])
    asset.save()
    if tiers is not None:
        asset.tiers.set(list(tiers))
    after = _visibility_snapshot(asset)
    if after != before:
        audit_record(
            actor=actor,
            action="asset.visibility_changed",
            target=asset,
            changes={"before": before, "after": after},
        )
    return asset


@transaction.atomic
def asset_version_add(
    *, actor: Actor, asset: Asset, file=None, url: str = "", notes: str = ""
) -> AssetVersion:
    """A new current version: an uploaded file (validated by content) or a link."""
    require(actor, Perm.PROGRAM_MANAGE)
    if (file is None) == (not url):
        raise ValidationError(_("Give either a file or a link URL."))
    # Lock the asset row so two uploads cannot take the same number.
    Asset.objects.select_for_update().filter(pk=asset.pk).first()
    number = (asset.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = AssetVersion(
        asset=asset,
        number=number,
        url=url or "",
        notes=notes or "",
        uploaded_by=actor.user,
    )
    if file is not None:
        sniffed = sniff_upload(file, allowed=DOCUMENT_KINDS, max_bytes=MAX_UPLOAD_BYTES)
        mime, ext = sniffed.mime, sniffed.ext
        version.content_type = mime
        version.size = file.size
        version.original_name = (getattr(file, "name", "") or f"file.{ext}").rsplit("/", 1)[-1][
            :200
        ]
        version.tenant = asset.tenant
        version.file.save(f"upload.{ext}", file, save=False)
    else:
        version.full_clean(exclude=["tenant", "asset", "file", "uploaded_by"])
    version.save()
    Asset.objects.filter(pk=asset.pk).update(updated_at=timezone.now())
    return version


def asset_event_record(
    *, actor: Actor, asset: Asset, kind: str, version: AssetVersion | None = None
) -> AssetEvent:
    if kind not in EventKind.values:
        raise ValidationError(_("Unknown event kind."))
    return AssetEvent.objects.create(
        asset=asset,
        version=version,
        kind=kind,
        user=actor.user,
        partner_organization_id=actor.partner_organization_id,
    )


@transaction.atomic
def asset_delete(*, actor: Actor, asset: Asset) -> None:
    require(actor, Perm.PROGRAM_MANAGE)
    audit_record(actor=actor, action="asset.deleted", target=asset)
    files = [v.file for v in asset.versions.all() if v.file]
    asset.delete()
    transaction.on_commit(lambda: [f.storage.delete(f.name) for f in files])


# --- Playbook ------------------------------------------------------------------------------


@transaction.atomic
def stage_save(
    *,
    actor: Actor,
    stage: PlaybookStage | None = None,
    name: str,
    position: int = 0,
    guidance: str = "",
) -> PlaybookStage:
    require(actor, Perm.PROGRAM_MANAGE)
    stage = stage or PlaybookStage()
    stage.name, stage.position, stage.guidance = name, position or 0, guidance or ""
    stage.full_clean(exclude=["tenant"])
    stage.save()
    return stage


@transaction.atomic
def stage_delete(*, actor: Actor, stage: PlaybookStage) -> None:
    require(actor, Perm.PROGRAM_MANAGE)
    stage.delete()


@transaction.atomic
def stage_asset_add(
    *, actor: Actor, stage: PlaybookStage, asset: Asset, position: int = 0, note: str = ""
) -> PlaybookStageAsset:
    require(actor, Perm.PROGRAM_MANAGE)
    if asset.tenant_id != stage.tenant_id:
        raise PermissionDenied
    link, _created = PlaybookStageAsset.objects.update_or_create(
        stage=stage, asset=asset, defaults={"position": position or 0, "note": note or ""}
    )
    return link


@transaction.atomic
def stage_asset_remove(*, actor: Actor, link: PlaybookStageAsset) -> None:
    require(actor, Perm.PROGRAM_MANAGE)
    link.delete()
