"""Deal registrations. The onboarding issue brings registration itself (gated by the 101 course);
rules, conflicts, routing, locks and reports come with the deal-registration issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from partners.models import Region
from tenancy.scoping import TenantOwnedModel


class DealStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    EXPIRED = "expired", _("Expired")


class DealRegistration(TenantOwnedModel):
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.PROTECT, related_name="deal_registrations"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer_name = models.CharField(_("customer account"), max_length=200)
    customer_domain = models.CharField(_("customer domain"), max_length=253, blank=True)
    customer_country = CountryField(_("customer country"), blank=True)
    region = models.CharField(_("region"), max_length=8, choices=Region.choices, blank=True)
    contact_name = models.CharField(_("customer contact"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    products = models.JSONField(_("products"), default=list, blank=True)
    estimated_value = models.DecimalField(_("estimated value"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    expected_close_date = models.DateField(_("expected close date"))
    partner_notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        max_length=16, choices=DealStatus.choices, default=DealStatus.SUBMITTED
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "partner", "-created_at"], name="deal_partner"),
            models.Index(fields=["tenant", "status"], name="deal_status"),
            models.Index(fields=["tenant", "customer_domain"], name="deal_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_name} ({self.partner})"
