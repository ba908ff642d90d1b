"""Outbound webhooks: endpoints the tenant (or a partner, for its own data) registers, one
delivery per event and endpoint (an outbox row: tenancy.outbox), every attempt logged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.crypto import decrypt, encrypt
from tenancy.outbox import OutboxRow, pending_index
from tenancy.scoping import TenantOwnedModel


class WebhookEndpoint(TenantOwnedModel):
    """Where events are posted. `partner` set: a partner's own endpoint, which receives only
    events about that partner's data."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("events"), default=list)
    partner = models.ForeignKey(
        "partners.PartnerOrganization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    # Encrypted (tenancy.crypto). During a rotation the previous secret also signs, until
    # `previous_secret_until`, so receivers can switch without losing a delivery.
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_until = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)  # paused by a person when False
    # Disabled by the system after too many failed attempts in a row (and the owner told).
    disabled_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "partner"], name="webhookendpoint_owner")]

    def __str__(self) -> str:
        return self.url

    @property
    def secret(self) -> str:
        return decrypt(self.secret_encrypted)

    @secret.setter
    def secret(self, value: str) -> None:
        self.secret_encrypted = encrypt(value)

    def signing_secrets(self, now=None) -> list[str]:
        """The secrets that sign a delivery now: the current one, and the previous one while a
        rotation's overlap lasts."""
        now = now or timezone.now()
        secrets = [self.secret]
        if (
            self.previous_secret_encrypted
            and self.previous_secret_until
            and now < (self.previous_secret_until)
        ):
            secrets.append(decrypt(self.previous_secret_encrypted))
        return secrets

    @property
    def state(self) -> str:
        if self.disabled_at:
            return "disabled"
        return "active" if self.is_active else "paused"


class WebhookDelivery(TenantOwnedModel, OutboxRow):
    """One event for one endpoint (idempotency key: the event's id, the same on every attempt).
    Deliveries of one aggregate (a deal...) to one endpoint go out in the events' order."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey("tenancy.DomainEvent", on_delete=models.CASCADE, related_name="+")
    aggregate_uuid = models.UUIDField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "event"], name="webhookdelivery_once"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "endpoint", "-id"], name="webhookdelivery_log"),
            models.Index(
                fields=["tenant", "endpoint", "aggregate_uuid", "id"], name="webhookdelivery_chain"
            ),
            pending_index("webhookdelivery"),
        ]


class WebhookAttempt(TenantOwnedModel):
    """One HTTP attempt of a delivery: what the receiver answered, how fast."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
