"""Channel strategy: GTM plays, SWOT, and the financial model's saved baselines (planned ROPI)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class Motion(models.TextChoices):
    CO_SELL = "co_sell", _("Co-sell")
    REFERRAL = "referral", _("Referral")
    RESALE = "resale", _("Resale")
    MARKETPLACE = "marketplace", _("Marketplace")


class GtmPlay(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=160)
    motion = models.CharField(_("motion"), max_length=16, choices=Motion.choices)
    target_segments = models.TextField(_("target segments"), help_text=_("Who this play is for."))
    description = models.TextField(_("description"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["motion", "name"]

    def __str__(self) -> str:
        return self.name


class SwotQuadrant(models.TextChoices):
    STRENGTH = "S", _("Strength")
    WEAKNESS = "W", _("Weakness")
    OPPORTUNITY = "O", _("Opportunity")
    THREAT = "T", _("Threat")


class SwotItem(TenantOwnedModel):
    quadrant = models.CharField(_("quadrant"), max_length=1, choices=SwotQuadrant.choices)
    text = models.CharField(_("text"), max_length=300)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["quadrant", "position", "id"]

    def __str__(self) -> str:
        return self.text


class FinancialModel(TenantOwnedModel):
    """A saved baseline of the program's economics for a period; real ROPI is compared with it.

    `inputs` holds, per tier, {"partners": n, "avg_revenue": "…"} plus the program-wide
    margin %, MDF % and management cost per partner; the outputs are computed by the service.
    """

    period = models.CharField(_("period"), max_length=40, help_text=_("e.g. FY2027 or 2027-H1"))
    currency = models.CharField(max_length=3, default="USD")
    inputs = models.JSONField(default=dict)
    projected_revenue = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    projected_cost = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    planned_ropi = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "period"], name="finmodel_unique_period")
        ]

    def __str__(self) -> str:
        return f"Baseline {self.period}"
