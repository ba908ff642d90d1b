"""Asset library (files or links with version history, visibility by tier / partner type / partner
role, view and download tracking) and the sales playbook (stages with guidance and assets).

Visibility rule (applied in SQL by `selectors.assets_visible_to`), for a partner user:
- the asset is published;
- tiers: none chosen = every tier (and partners without a tier); else the org's tier is listed;
- partner types: empty = every type; else the org's primary partner type is listed;
- partner roles: a non-empty list names exactly the roles that see the asset. An empty list means
  "the default for the asset's type": marketing collateral (battle cards, case studies, see
  MARKETING_TYPES) goes to partner admins, sales and marketing, but NOT to pre-sales/technical
  users; every other type goes to all partner roles. Tag a marketing asset with the pre-sales role
  to show it to technical users.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.roles import Role
from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path


class AssetType(models.TextChoices):
    BATTLE_CARD = "battle_card", _("Battle card")
    CASE_STUDY = "case_study", _("Case study")
    DECK = "deck", _("Deck")
    DATASHEET = "datasheet", _("Datasheet")
    VIDEO = "video", _("Video")
    OTHER = "other", _("Other")


# Types whose default audience (empty roles list) excludes technical (pre-sales) users.
MARKETING_TYPES = frozenset({AssetType.BATTLE_CARD, AssetType.CASE_STUDY})
TECHNICAL_ROLE = Role.PARTNER_PRESALES


class PlaybookStage(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    guidance = models.TextField(_("guidance (Markdown)"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="playbookstage_position")]

    def __str__(self) -> str:
        return self.name


class Asset(TenantOwnedModel):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    type = models.CharField(_("type"), max_length=16, choices=AssetType.choices)
    product = models.CharField(_("product"), max_length=100, blank=True)
    stage = models.ForeignKey(
        PlaybookStage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tagged_assets",
        verbose_name=_("sales stage"),
    )
    language = models.CharField(_("language"), max_length=8, default="en")
    tiers = models.ManyToManyField(
        "partners.Tier",
        blank=True,
        related_name="+",
        verbose_name=_("tiers"),
        help_text=_("None selected = every tier."),
    )
    partner_types = models.JSONField(_("partner types"), default=list, blank=True)
    partner_roles = models.JSONField(_("partner roles"), default=list, blank=True)
    is_published = models.BooleanField(_("published"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["tenant", "is_published", "type"], name="asset_published_type"),
            models.Index(fields=["tenant", "stage"], name="asset_stage"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def partner_type_labels(self) -> list[str]:
        from partners.models import PartnerType

        return [str(PartnerType(t).label) for t in self.partner_types if t in PartnerType.values]

    @property
    def partner_role_labels(self) -> list[str]:
        return [str(Role(r).label) for r in self.partner_roles if r in Role.values]


def version_upload_to(version: AssetVersion, filename: str) -> str:
    # The stored name never comes from the user (only the extension, already validated).
    ext = filename.rsplit(".", 1)[-1].lower()[:8] if "." in filename else "bin"
    return tenant_path("assets", version.tenant_id, f"{version.uuid}.{ext}")


class AssetVersion(TenantOwnedModel):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=version_upload_to, blank=True, max_length=200)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    url = models.URLField(_("link URL"), blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "asset", "number"], name="assetversion_unique_number"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} v{self.number}"

    @property
    def is_file(self) -> bool:
        return bool(self.file)


class EventKind(models.TextChoices):
    VIEW = "view", _("View")
    DOWNLOAD = "download", _("Download")


class AssetEvent(TenantOwnedModel):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="events")
    version = models.ForeignKey(
        AssetVersion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    partner_organization = models.ForeignKey(
        "partners.PartnerOrganization",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["tenant", "asset", "kind"], name="assetevent_asset_kind")]


class PlaybookStageAsset(TenantOwnedModel):
    stage = models.ForeignKey(PlaybookStage, on_delete=models.CASCADE, related_name="stage_assets")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="stage_links")
    position = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "stage", "asset"], name="playbookstageasset_unique"
            )
        ]
