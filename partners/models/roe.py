"""Rules of engagement: versioned Markdown documents per tenant and partner admins' acceptances."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class RulesOfEngagement(TenantOwnedModel):
    """A version; drafts have no published_at. The newest published version is the current one."""

    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body (Markdown)"))
    change_summary = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "version"], name="roe_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def summary(self) -> str:
        """What changed, under the name every versioned document uses in templates."""
        return self.change_summary


class RoeAcceptance(TenantOwnedModel):
    rules = models.ForeignKey(
        RulesOfEngagement, on_delete=models.CASCADE, related_name="acceptances"
    )
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="roe_acceptances"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepted_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "rules", "user"], name="roe_accept_once")
        ]
        indexes = [models.Index(fields=["tenant", "partner"], name="roeaccept_partner")]

    def __str__(self) -> str:
        return f"{self.user} accepted {self.rules}"
