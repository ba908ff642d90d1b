"""Exchange rates into the program currency: how registrations, routing bounds, auto-approval caps
and won deals in other currencies compare with amounts in the program currency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class ExchangeRate(TenantOwnedModel):
    """1 unit of `currency` is worth `rate` units of the program currency (ProgramSettings)."""

    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("value in the program currency"), max_digits=20, decimal_places=10)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["currency"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "currency"], name="exchangerate_currency"),
            models.CheckConstraint(condition=models.Q(rate__gt=0), name="exchangerate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate_display}"

    @property
    def rate_display(self) -> str:
        """The rate without trailing zeros ("1.08", not "1.0800000000")."""
        return format(self.rate.normalize(), "f")
