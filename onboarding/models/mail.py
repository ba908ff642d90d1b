"""Every onboarding email, one row per (idempotency key): the send log and the double-send guard."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel


class EmailKind(models.TextChoices):
    WELCOME_KIT = "welcome_kit", _("Welcome kit")
    CADENCE = "cadence", _("30-day cadence")


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    # Handed to the SMTP server but not yet confirmed. A row left here by a worker killed mid-send
    # is never re-sent automatically (it may have gone out): the console shows it for a decision.
    SENDING = "sending", _("Sending (unconfirmed)")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will retry)")
    GAVE_UP = "gave_up", _("Failed (gave up)")
    SKIPPED = "skipped", _("Skipped (no longer relevant)")
    UNSUBSCRIBED = "unsubscribed", _("Not sent (unsubscribed)")


class OutboundEmail(TenantOwnedModel):
    partner = models.ForeignKey(
        "partners.PartnerOrganization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="onboarding_emails",
    )
    kind = models.CharField(max_length=16, choices=EmailKind.choices)
    cadence_step = models.ForeignKey(
        "onboarding.CadenceStep",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    # e.g. "welcome:<run uuid>:<email>" or "cadence:<step uuid>:<email>"; unique per tenant, so a
    # second attempt to create the same mail finds the first.
    idempotency_key = models.CharField(max_length=300)
    recipient_email = models.EmailField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    from_email = models.CharField(max_length=300, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    # The message as rendered when the row was created: a retry or "send again" sends exactly
    # this, even after the cadence step was edited or deleted.
    reply_to = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)  # e.g. List-Unsubscribe
    status = models.CharField(
        max_length=16, choices=EmailStatus.choices, default=EmailStatus.QUEUED
    )
    reason = models.CharField(max_length=300, blank=True)  # why skipped / last error summary
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="outboundemail_idempotency"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "partner", "-created_at"], name="outboundemail_partner"),
            models.Index(fields=["tenant", "status"], name="outboundemail_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_email} ({self.status})"
