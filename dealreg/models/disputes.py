"""Disputes over an account: raised by a partner or direct sales, commented, decided."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DECIDED = "decided", _("Decided")


class DisputeOutcome(models.TextChoices):
    LOCK_UPHELD = "lock_upheld", _("The partner keeps the lock")
    LOCK_RELEASED = "lock_released", _("The lock is released")
    DIRECT_KEEPS = "direct_keeps", _("Direct sales keeps the account")
    PARTNER_AWARDED = "partner_awarded", _("The account goes to the partner")


class Dispute(TenantOwnedModel):
    account = models.ForeignKey(
        "dealreg.CustomerAccount", on_delete=models.CASCADE, related_name="disputes"
    )
    registration = models.ForeignKey(
        "dealreg.DealRegistration",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="disputes",
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.TextField(_("what is in dispute"))
    status = models.CharField(max_length=8, choices=DisputeStatus.choices, default="open")
    outcome = models.CharField(max_length=16, choices=DisputeOutcome.choices, blank=True)
    decision_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["tenant", "status", "-created_at"], name="dispute_status"),
            models.Index(fields=["tenant", "account"], name="dispute_account"),
        ]

    def __str__(self) -> str:
        return f"Dispute over {self.account}"

    @property
    def badge_tone(self) -> str:
        """An open dispute waits for a decision (warning); a decided one is done (secondary)."""
        return "warning" if self.status == DisputeStatus.OPEN else "secondary"


class DisputeComment(TenantOwnedModel):
    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A comment sent with an API key: `author` is the key's creator, answerable for it.
    api_key = models.ForeignKey(
        "tenancy.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.dispute_id}"
