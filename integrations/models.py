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


# --- CRM connections (integrations.crm) -------------------------------------------------------


class CrmKind(models.TextChoices):
    GENERIC = "generic", _("Generic REST / webhook")
    SALESFORCE = "salesforce", _("Salesforce")
    HUBSPOT = "hubspot", _("HubSpot")
    BOTTLECRM = "bottlecrm", _("BottleCRM")


class CrmConnection(TenantOwnedModel):
    """One CRM the program syncs deal registrations with. Settings and credentials are stored
    encrypted (tenancy.crypto); the connector's own state (tokens...) too."""

    kind = models.CharField(_("CRM"), max_length=16, choices=CrmKind.choices)
    name = models.CharField(_("name"), max_length=100)
    settings_encrypted = models.TextField(blank=True)
    state_encrypted = models.TextField(blank=True)
    # PRM field → CRM field (connectors.base.PRM_FIELDS); CRM stage → PRM sales stage.
    field_mapping = models.JSONField(_("field mapping"), default=dict, blank=True)
    stage_mapping = models.JSONField(_("stage mapping"), default=dict, blank=True)
    # Demo mode: nothing leaves the server; a simulated CRM answers (the demo tenant's).
    demo_mode = models.BooleanField(_("demo mode"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    pull_cursor = models.JSONField(default=dict, blank=True)
    last_pulled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="crmconnection_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def settings(self) -> dict:
        return _decrypt_json(self.settings_encrypted)

    @settings.setter
    def settings(self, value: dict) -> None:
        self.settings_encrypted = _encrypt_json(value)

    @property
    def state(self) -> dict:
        return _decrypt_json(self.state_encrypted)

    @state.setter
    def state(self, value: dict) -> None:
        self.state_encrypted = _encrypt_json(value)


def _encrypt_json(value: dict) -> str:
    import json

    return encrypt(json.dumps(value or {}, sort_keys=True)) if value else ""


def _decrypt_json(value: str) -> dict:
    import json

    return json.loads(decrypt(value)) if value else {}


class CrmLink(TenantOwnedModel):
    """Where a deal registration lives in a connected CRM, and what the CRM last said of it."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="links")
    deal_uuid = models.UUIDField()
    account_id = models.CharField(max_length=100, blank=True)
    opportunity_id = models.CharField(max_length=100)
    remote_stage = models.CharField(max_length=100, blank=True)  # the CRM's own value
    pushed_at = models.DateTimeField(null=True, blank=True)
    pulled_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True)  # the registration is still approved

    class Meta:
        ordering = ["-pushed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "connection", "deal_uuid"], name="crmlink_deal"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "connection", "opportunity_id"], name="crmlink_remote"),
            models.Index(fields=["tenant", "connection", "is_open"], name="crmlink_open"),
        ]


class CrmSync(TenantOwnedModel, OutboxRow):
    """One deal event to push to one CRM connection: an outbox row, delivered by the relay
    like a webhook (in order per deal, retried with backoff). No event: a person sent the
    registrations already approved when the CRM was connected ("send open registrations")."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="+")
    event = models.ForeignKey(
        "tenancy.DomainEvent", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    aggregate_uuid = models.UUIDField()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "connection", "event"], name="crmsync_once"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "connection", "aggregate_uuid", "id"], name="crmsync_chain"
            ),
            pending_index("crmsync"),
        ]


class SyncDirection(models.TextChoices):
    PUSH = "push", _("To the CRM")
    PULL = "pull", _("From the CRM (pull)")
    INBOUND = "inbound", _("From the CRM (notification)")
    TEST = "test", _("Connection test")


class CrmSyncLog(TenantOwnedModel):
    """The sync log a person reads: every push, pull, notification and test, with errors."""

    connection = models.ForeignKey(CrmConnection, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField(default=timezone.now)
    direction = models.CharField(max_length=8, choices=SyncDirection.choices)
    ok = models.BooleanField(default=True)
    deal_uuid = models.UUIDField(null=True, blank=True)
    message = models.CharField(max_length=500)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["tenant", "connection", "-at"], name="crmsynclog_recent")]
