"""Webhook endpoints: who may manage which, and every change to them (console and portal).

A program admin manages the program's endpoints (every event of the tenant); a partner admin
manages its organisation's own (only events about its data). The signing secret is shown once,
when it is made; rotating keeps the old one signing too for ROTATION_OVERLAP, so a receiver can
switch without missing a delivery.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.events import EVENT_TYPES
from tenancy.models import DomainEvent
from tenancy.outbox import DeliveryStatus, initial_next_attempt, outbox_requeue

from . import relay
from .models import WebhookDelivery, WebhookEndpoint

ROTATION_OVERLAP = timedelta(hours=24)
MAX_ENDPOINTS = 20


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def endpoints_for(actor: Actor) -> QuerySet[WebhookEndpoint]:
    """The endpoints an actor manages: the program's (program admin) or its organisation's
    (partner admin); none for anyone else."""
    if not actor.has(Perm.API_KEYS_MANAGE):
        return WebhookEndpoint.objects.none()
    qs = WebhookEndpoint.objects.select_related("partner")
    if actor.is_partner:
        return qs.filter(partner_id=actor.partner_organization_id)
    return qs.filter(partner__isnull=True)


body_of = relay.body_of


def deliveries_for(actor: Actor, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    get_endpoint(actor, endpoint.uuid)
    return WebhookDelivery.objects.filter(endpoint=endpoint).select_related("event").order_by("-id")


def get_endpoint(actor: Actor, endpoint_uuid) -> WebhookEndpoint:
    endpoint = endpoints_for(actor).filter(uuid=endpoint_uuid).first()
    if endpoint is None:
        raise PermissionDenied(_("This webhook endpoint is not yours to manage."))
    return endpoint


def _clean(url: str, event_types: list[str]) -> dict:
    errors = {}
    url = (url or "").strip()
    try:
        relay.check_destination(url)
    except relay.DeliveryFailed as error:
        errors["url"] = str(error)
    unknown = [kind for kind in event_types if kind not in EVENT_TYPES]
    if not event_types:
        errors["event_types"] = _("Choose at least one event.")
    elif unknown:
        errors["event_types"] = _("Unknown event: %(kinds)s.") % {"kinds": ", ".join(unknown)}
    if errors:
        raise ValidationError(errors)
    return {"url": url, "event_types": sorted(set(event_types), key=list(EVENT_TYPES).index)}


@transaction.atomic
def endpoint_create(
    *, actor: Actor, url: str, event_types: list[str], description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint with a new signing secret; returns (endpoint, the secret in clear: shown
    once)."""
    access.require(actor, Perm.API_KEYS_MANAGE)
    if endpoints_for(actor).count() >= MAX_ENDPOINTS:
        raise ValidationError(_("At most %(n)s endpoints.") % {"n": MAX_ENDPOINTS})
    cleaned = _clean(url, event_types)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        description=(description or "").strip()[:200],
        partner_id=actor.partner_organization_id if actor.is_partner else None,
        created_by=actor.user,
        **cleaned,
    )
    endpoint.secret = secret
    endpoint.save()
    audit_record(
        actor=actor,
        action="integrations.webhook_created",
        target=endpoint,
        changes={"url": endpoint.url, "events": endpoint.event_types},
    )
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *,
    actor: Actor,
    endpoint: WebhookEndpoint,
    url: str,
    event_types: list[str],
    description: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    endpoint = get_endpoint(actor, endpoint.uuid)
    access.require(actor, Perm.API_KEYS_MANAGE)
    cleaned = _clean(url, event_types)
    before = {"url": endpoint.url, "events": endpoint.event_types, "active": endpoint.is_active}
    endpoint.url, endpoint.event_types = cleaned["url"], cleaned["event_types"]
    endpoint.description = (description or "").strip()[:200]
    endpoint.is_active = bool(is_active)
    endpoint.save(update_fields=["url", "event_types", "description", "is_active"])
    after = {"url": endpoint.url, "events": endpoint.event_types, "active": endpoint.is_active}
    audit_record(
        actor=actor,
        action="integrations.webhook_changed",
        target=endpoint,
        changes={key: [before[key], after[key]] for key in after if before[key] != after[key]},
    )
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, actor: Actor, endpoint: WebhookEndpoint) -> str:
    """A new secret; the current one keeps signing for ROTATION_OVERLAP. Returns the new one."""
    endpoint = get_endpoint(actor, endpoint.uuid)
    access.require(actor, Perm.API_KEYS_MANAGE)
    secret = new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_until = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = secret
    endpoint.save(
        update_fields=["secret_encrypted", "previous_secret_encrypted", "previous_secret_until"]
    )
    audit_record(actor=actor, action="integrations.webhook_secret_rotated", target=endpoint)
    return secret


@transaction.atomic
def endpoint_enable(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Enable a disabled (or paused) endpoint again: new events reach it; missed deliveries are
    in its log, to send again."""
    endpoint = get_endpoint(actor, endpoint.uuid)
    access.require(actor, Perm.API_KEYS_MANAGE)
    endpoint.disabled_at = None
    endpoint.consecutive_failures = 0
    endpoint.is_active = True
    endpoint.save(update_fields=["disabled_at", "consecutive_failures", "is_active"])
    audit_record(actor=actor, action="integrations.webhook_enabled", target=endpoint)
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: Actor, endpoint: WebhookEndpoint) -> None:
    endpoint = get_endpoint(actor, endpoint.uuid)
    access.require(actor, Perm.API_KEYS_MANAGE)
    audit_record(
        actor=actor,
        action="integrations.webhook_deleted",
        target=endpoint,
        changes={"url": endpoint.url},
    )
    endpoint.delete()


@transaction.atomic
def endpoint_ping(*, actor: Actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """A test event for this endpoint alone (type "webhook.ping"), delivered like any other."""
    endpoint = get_endpoint(actor, endpoint.uuid)
    access.require(actor, Perm.API_KEYS_MANAGE)
    now = timezone.now()
    event = DomainEvent.objects.create(
        type=relay.PING,
        aggregate="webhook",
        aggregate_uuid=endpoint.uuid,
        payload={"endpoint": str(endpoint.uuid), "message": "A test event from the console."},
        occurred_at=now,
        dispatched_at=now,  # never fanned out to other endpoints
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=event,
        aggregate_uuid=endpoint.uuid,
        idempotency_key=str(event.uuid),
        # The sweep sends it if the enqueue after commit is lost (the broker was down).
        next_attempt_at=initial_next_attempt(DeliveryStatus.QUEUED, now),
    )
    transaction.on_commit(lambda: relay.enqueue([(relay.WEBHOOKS.name, delivery.pk)]))
    return delivery


@transaction.atomic
def delivery_replay(*, actor: Actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (same event id: a receiver that has it already ignores it)."""
    get_endpoint(actor, delivery.endpoint.uuid)
    access.require(actor, Perm.API_KEYS_MANAGE)
    if delivery.status == DeliveryStatus.QUEUED:
        raise ValidationError(_("This delivery is already waiting to go."))
    outbox_requeue(delivery, reason=_("Sent again by %(who)s.") % {"who": actor.label})
    audit_record(
        actor=actor,
        action="integrations.webhook_replayed",
        target=delivery.endpoint,
        changes={"event": str(delivery.event.uuid), "type": delivery.event.type},
    )
    transaction.on_commit(lambda: relay.enqueue([(relay.WEBHOOKS.name, delivery.pk)]))
    return delivery
