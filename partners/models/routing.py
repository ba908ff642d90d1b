"""Where a new application goes: the tenant's routing rules (first match wins) and, when none
matches, the fallback in ProgramSettings (round robin among channel managers, or the unassigned
queue managers claim from)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class AssignedVia(models.TextChoices):
    RULE = "rule", _("Routing rule")
    ROUND_ROBIN = "round_robin", _("Round robin")
    CLAIMED = "claimed", _("Claimed from the unassigned queue")


class RoutingFallback(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Share them in turn among the channel managers")
    UNASSIGNED = "unassigned", _("Leave them in the unassigned queue for a manager to claim")


class ApplicationRoutingRule(TenantOwnedModel):
    """Applications from these countries/regions and/or of these partner types go to this
    channel manager. Empty criteria match anything; rules are tried in `position` order."""

    name = models.CharField(_("name"), max_length=120)
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    countries = models.JSONField(_("HQ countries"), default=list, blank=True)
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    partner_types = models.JSONField(_("partner types"), default=list, blank=True)
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("channel manager"),
    )
    is_active = models.BooleanField(_("in use"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["tenant", "position"], name="routingrule_order")]

    def __str__(self) -> str:
        return self.name
