"""The revenue ledger: partner revenue records that tiers, ROPI and attribution read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class RevenueKind(models.TextChoices):
    SOURCED = "sourced", _("Sourced")
    INFLUENCED = "influenced", _("Influenced")


class RevenueRecord(TenantOwnedModel):
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="revenue"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=RevenueKind.choices)
    customer = models.CharField(_("customer"), max_length=200)
    product = models.CharField(_("product"), max_length=120, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    booked_on = models.DateField(_("booked on"))
    source = models.CharField(max_length=32, default="manual")  # manual / import / dealreg / crm
    external_ref = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-booked_on", "-id"]
        indexes = [
            models.Index(fields=["tenant", "partner", "booked_on"], name="revenue_partner_date")
        ]

    def __str__(self) -> str:
        return f"{self.partner} {self.amount} {self.currency} {self.booked_on}"
