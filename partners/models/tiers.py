"""Tiers: requirements, benefits, evaluation proposals and history; per-tenant program settings."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel

from .routing import RoutingFallback


class ProgramSettings(TenantOwnedModel):
    """Program-wide rules of one tenant (one row per tenant)."""

    currency = models.CharField(_("program currency"), max_length=3, default="USD")
    tier_grace_period_days = models.PositiveSmallIntegerField(
        _("downgrade grace period (days)"), default=90
    )
    auto_apply_tier_changes = models.BooleanField(
        _("apply tier changes without approval"), default=False
    )
    revenue_window_months = models.PositiveSmallIntegerField(
        _("trailing revenue window (months)"), default=12
    )
    # Applications no routing rule matches (partners/services/routing.py).
    application_fallback = models.CharField(
        _("applications no rule matches"),
        max_length=16,
        choices=RoutingFallback.choices,
        default=RoutingFallback.UNASSIGNED,
    )
    # The channel manager the last round-robin assignment went to (the next one follows them).
    round_robin_last = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="programsettings_one_per_tenant")
        ]

    def __str__(self) -> str:
        return f"Program settings of {self.tenant_id}"


class LeadPriority(models.IntegerChoices):
    LOW = 1, _("Standard")
    MEDIUM = 2, _("Priority")
    HIGH = 3, _("Top priority")


class Tier(TenantOwnedModel):
    """A tier: rank 1 is the entry tier. Requirements to hold it, benefits it gives."""

    name = models.CharField(_("name"), max_length=60)
    rank = models.PositiveSmallIntegerField(
        _("rank"), help_text=_("1 = entry tier; higher is better.")
    )
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")
    # Requirements
    min_trailing_revenue = models.DecimalField(
        _("minimum trailing revenue"), max_digits=14, decimal_places=2, default=Decimal("0")
    )
    min_certified_people = models.PositiveSmallIntegerField(
        _("minimum certified people"), default=0
    )
    required_certifications = models.JSONField(
        _("required certifications"),
        default=list,
        blank=True,
        help_text=_(
            "Names of certifications the organisation must hold (counted once enablement exists)."
        ),
    )
    # Benefits
    discount_margin_pct = models.DecimalField(
        _("discount margin %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    mdf_eligible = models.BooleanField(_("MDF eligible"), default=False)
    mdf_share_pct = models.DecimalField(
        _("MDF share %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    lead_priority = models.PositiveSmallIntegerField(
        _("lead / co-sell priority"), choices=LeadPriority.choices, default=LeadPriority.LOW
    )
    perks = models.TextField(_("other perks"), blank=True)

    class Meta:
        ordering = ["rank"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rank"], name="tier_unique_rank"),
            models.UniqueConstraint(fields=["tenant", "name"], name="tier_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPLIED = "applied", _("Applied")
    REJECTED = "rejected", _("Rejected")
    SUPERSEDED = "superseded", _("Superseded")


class TierProposal(TenantOwnedModel):
    """What an evaluation found: move the partner to `to_tier`, with the reasons."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="tier_proposals"
    )
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reasons = models.JSONField(default=list)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="tierproposal_status")
        ]
        constraints = [
            # At most one open proposal per partner: a newer evaluation supersedes the old one.
            models.UniqueConstraint(
                fields=["tenant", "partner"],
                condition=models.Q(status="pending"),
                name="tierproposal_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier or '—'} → {self.to_tier or '—'}"

    @property
    def is_upgrade(self) -> bool:
        return (self.to_tier.rank if self.to_tier else 0) > (
            self.from_tier.rank if self.from_tier else 0
        )


class TierChange(TenantOwnedModel):
    """Tier history: every change of a partner's tier."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="tier_changes"
    )
    from_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposal = models.ForeignKey(
        TierProposal, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(blank=True)
    by_label = models.CharField(max_length=254)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "partner", "-changed_at"], name="tierchange_partner")
        ]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_tier or '—'} → {self.to_tier or '—'}"
