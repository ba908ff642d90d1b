"""A record of each time staff sent (or sent again) the partner agreement to a partner's
signer: to whom, which version, by whom and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class AgreementSend(TenantOwnedModel):
    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="+"
    )
    template = models.ForeignKey(
        "onboarding.AgreementTemplate", on_delete=models.PROTECT, related_name="sends"
    )
    to_email = models.EmailField(_("sent to"))
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    is_resend = models.BooleanField(default=False)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_by_label = models.CharField(max_length=254)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "partner", "-sent_at"], name="agreementsend_partner")
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.template_id} to {self.to_email}"
