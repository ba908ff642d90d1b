from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class PartnerType(models.TextChoices):
    RESELLER = "reseller", _("Reseller")
    REFERRAL = "referral", _("Referral")
    ISV = "isv", _("ISV / technology")
    MSP = "msp", _("MSP / services")
    AFFILIATE = "affiliate", _("Affiliate")
    INFLUENCER = "influencer", _("Influencer / ambassador")
    COMMUNITY = "community", _("Open-source community")
    MARKETPLACE = "marketplace", _("Cloud marketplace")


class PartnerOrganization(TenantOwnedModel):
    """A partner company in one tenant's program.

    The full profile arrives with the partner-program issue."""

    name = models.CharField(_("name"), max_length=200)
    partner_type = models.CharField(_("partner type"), max_length=32, choices=PartnerType.choices)
    website = models.URLField(_("website"), blank=True)
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("channel manager"),
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="partnerorg_unique_name"),
        ]
        indexes = [
            models.Index(fields=["tenant", "channel_manager"], name="partnerorg_manager"),
        ]

    def __str__(self) -> str:
        return self.name
