"""The relay: domain events (tenancy.events) out to the webhook endpoints that subscribe.

1. **Dispatch** (`dispatch`): events not yet dispatched, all tenants, oldest first, become one
   `WebhookDelivery` per subscribed endpoint (an outbox row, tenancy.outbox), and the events are
   marked dispatched, in one transaction. Runs after every commit that emitted events (the
   `events_committed` hook) and from the sweep, so an event whose hook could not reach the broker
   goes out when it is back.
2. **Deliver** (`deliver`, a worker task per delivery): the outbox's claim / send / record steps.
   Deliveries of one aggregate (a deal) to one endpoint go out in order: one waits while an
   earlier one of the same chain is not finished, and a finished one hands on to the next.
   A failure retries with the outbox's backoff (1, 5, 15, 60, 240 minutes, then gives up); every
   attempt is logged (status, latency, the start of the answer). After WEBHOOKS_DISABLE_AFTER
   failed attempts in a row the endpoint is disabled, once, and its owner is told.
3. **Sweep** (beat, every minute): dispatch what is left, re-enqueue what is due.

At least once, never twice to a receiver that honours the idempotency key: every attempt of a
delivery carries the event's id (`PRM-Event-Id`, `Idempotency-Key`).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import socket
import time
from collections import defaultdict
from datetime import timedelta
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tenancy import outbox
from tenancy.context import tenant_context
from tenancy.emails import mail_kind
from tenancy.hosts import tenant_base_url
from tenancy.models import DomainEvent
from tenancy.outbox import DeliveryStatus

from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .signing import EVENT_ID_HEADER, SIGNATURE_HEADER, sign

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 1000
USER_AGENT = "PRM-Webhooks/1.0"
PING = "webhook.ping"  # the console's "Send a test event" (never dispatched to others)
# Unfinished: a later delivery of the same chain waits for these.
UNFINISHED = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED, DeliveryStatus.SENDING)

WEBHOOK_DISABLED = mail_kind(
    "integrations.webhook_disabled", _("Webhook endpoint disabled"), always_mail=True
)


class DeliveryFailed(Exception):
    """An attempt that did not get a 2xx answer (retried with backoff)."""


# --- Dispatch --------------------------------------------------------------------------------


def _subscribed(endpoint: WebhookEndpoint, event: DomainEvent) -> bool:
    if event.type not in endpoint.event_types:
        return False
    return endpoint.partner_id is None or endpoint.partner.uuid == event.partner_uuid


def dispatch(*, limit: int = DISPATCH_BATCH) -> list[int]:
    """Fan every undispatched event out to its endpoints, `limit` events a transaction (see the
    module docstring). Returns the new deliveries' ids, in order."""
    ids: list[int] = []
    while True:
        seen, batch = _dispatch_batch(limit)
        ids += batch
        if seen < limit:
            return ids


def _dispatch_batch(limit: int) -> tuple[int, list[int]]:
    now = timezone.now()
    with transaction.atomic():
        events = list(
            DomainEvent.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not events:
            return 0, []
        endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
        for endpoint in (
            WebhookEndpoint.objects.unscoped()
            .filter(
                tenant_id__in={event.tenant_id for event in events},
                is_active=True,
                disabled_at__isnull=True,
            )
            .select_related("partner")
        ):
            endpoints[endpoint.tenant_id].append(endpoint)
        deliveries = [
            WebhookDelivery(
                tenant_id=event.tenant_id,
                endpoint=endpoint,
                event=event,
                aggregate_uuid=event.aggregate_uuid,
                idempotency_key=str(event.uuid),
                next_attempt_at=outbox.initial_next_attempt(DeliveryStatus.QUEUED, now),
            )
            for event in events
            for endpoint in endpoints[event.tenant_id]
            if _subscribed(endpoint, event)
        ]
        WebhookDelivery.objects.unscoped().bulk_create(deliveries, batch_size=500)
        DomainEvent.objects.unscoped().filter(pk__in=[event.pk for event in events]).update(
            dispatched_at=now
        )
    return len(events), [delivery.pk for delivery in deliveries]


def enqueue(delivery_ids) -> None:
    from .tasks import deliver_webhook

    for delivery_id in delivery_ids:
        deliver_webhook.delay(delivery_id=delivery_id)


def dispatch_and_enqueue() -> int:
    ids = dispatch()
    enqueue(ids)
    return len(ids)


def on_events_committed() -> None:
    """The `events_committed` hook: dispatch on a worker (eager in tests: right here)."""
    from .tasks import dispatch_events

    dispatch_events.delay()


def sweep(*, now=None) -> int:
    """Beat, every minute: events left undispatched (the broker was down at their commit), then
    deliveries whose retry is due or whose first delivery was lost."""
    ids = dispatch()
    new = set(ids)
    ids += [pk for pk in outbox.outbox_take_due(WebhookDelivery, now=now) if pk not in new]
    enqueue(sorted(ids))
    return len(ids)


def prune(*, now=None) -> int:
    """Daily: events (and their delivery logs) older than WEBHOOKS_LOG_DAYS go, once dispatched
    and with no delivery still to finish: the log keeps what a person may want to send again,
    the table does not grow for ever. Returns how many events went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    old = DomainEvent.objects.unscoped().filter(occurred_at__lt=cutoff, dispatched_at__isnull=False)
    unfinished = WebhookDelivery.objects.unscoped().filter(status__in=UNFINISHED)
    old = old.exclude(pk__in=unfinished.values("event_id"))
    count = 0
    while ids := list(old.values_list("pk", flat=True)[:1000]):
        WebhookDelivery.objects.unscoped().filter(event_id__in=ids).delete()
        count += (
            DomainEvent.objects.unscoped()
            .filter(pk__in=ids)
            .delete()[1]
            .get("tenancy.DomainEvent", 0)
        )
    return count


# --- Deliver ---------------------------------------------------------------------------------


def body_of(delivery: WebhookDelivery) -> bytes:
    """The JSON posted: the event as it was recorded (the same bytes on every attempt)."""
    event = delivery.event
    envelope = {
        "id": str(event.uuid),
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "program": delivery.tenant.slug,
        "data": event.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def check_destination(url: str) -> None:
    """Refuse what a tenant must not make this server call: anything but http(s), and, unless
    WEBHOOKS_ALLOW_PRIVATE_NETWORKS, plain http and addresses inside private, loopback or
    link-local networks (the server's own neighbourhood)."""
    parts = urlsplit(url)
    allow_private = settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DeliveryFailed(gettext("Only http(s) URLs can receive webhooks."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:  # e.g. :99999
        raise DeliveryFailed(gettext("The URL's port is not valid.")) from error
    if parts.scheme == "http" and not allow_private:
        raise DeliveryFailed(gettext("Webhooks are sent over https only."))
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except OSError as error:
        raise DeliveryFailed(gettext("The host name does not resolve.")) from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DeliveryFailed(gettext("The URL points inside a private network: refused."))


def _attempt(delivery, started: float, **fields) -> None:
    WebhookAttempt.objects.unscoped().create(
        tenant_id=delivery.tenant_id,
        delivery=delivery,
        latency_ms=int((time.monotonic() - started) * 1000),
        **fields,
    )


def _post(delivery: WebhookDelivery) -> None:
    endpoint = delivery.endpoint
    body = body_of(delivery)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: str(delivery.event.uuid),
        "Idempotency-Key": str(delivery.event.uuid),
        SIGNATURE_HEADER: sign(endpoint.signing_secrets(), body),
    }
    started = time.monotonic()
    try:
        check_destination(endpoint.url)
        with requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            excerpt = response.raw.read(500, decode_content=True).decode("utf-8", "replace")
    except (requests.RequestException, DeliveryFailed) as error:
        _attempt(delivery, started, error=str(error)[:500])
        raise DeliveryFailed(str(error)) from error
    _attempt(delivery, started, status_code=response.status_code, response_excerpt=excerpt[:500])
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}")


def _chain(delivery: WebhookDelivery):
    """The deliveries of the same aggregate to the same endpoint (delivered in id order)."""
    return WebhookDelivery.objects.unscoped().filter(
        tenant_id=delivery.tenant_id,
        endpoint_id=delivery.endpoint_id,
        aggregate_uuid=delivery.aggregate_uuid,
    )


def _waiting(delivery: WebhookDelivery) -> bool:
    """An earlier delivery of the chain is not finished."""
    return _chain(delivery).filter(id__lt=delivery.id, status__in=UNFINISHED).exists()


def _hand_on(delivery: WebhookDelivery) -> None:
    """A finished delivery lets the next of its chain go."""
    following = (
        _chain(delivery)
        .filter(id__gt=delivery.id, status=DeliveryStatus.QUEUED)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        enqueue([following])


def deliver(delivery_id: int) -> str | None:
    """Deliver one webhook (the body of the `deliver_webhook` task; outside any transaction).
    Returns the final status, or None when there was nothing to do now."""
    delivery = (
        WebhookDelivery.objects.unscoped()
        .select_related("endpoint", "event", "tenant")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    pending = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
    if delivery.status in pending and (
        endpoint.disabled_at or not endpoint.is_active or not delivery.tenant.is_active
    ):
        WebhookDelivery.objects.unscoped().filter(pk=delivery.pk, status__in=pending).update(
            status=DeliveryStatus.SKIPPED,
            next_attempt_at=None,
            reason=gettext("Not sent: the endpoint is paused or disabled."),
        )
        _hand_on(delivery)
        return DeliveryStatus.SKIPPED
    if delivery.status == DeliveryStatus.QUEUED and _waiting(delivery):
        return None  # the earlier one hands on when it is done (or the sweep comes round)
    status = outbox.outbox_deliver(
        WebhookDelivery, delivery.pk, lambda _row: _post(delivery), retry_on=(DeliveryFailed,)
    )
    if status == DeliveryStatus.SENT:
        WebhookEndpoint.objects.unscoped().filter(pk=endpoint.pk).update(consecutive_failures=0)
    elif status in (DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP):
        _count_failure(endpoint)
    if status in (DeliveryStatus.SENT, DeliveryStatus.GAVE_UP):
        _hand_on(delivery)
    return status


def _count_failure(endpoint: WebhookEndpoint) -> None:
    endpoints = WebhookEndpoint.objects.unscoped().filter(pk=endpoint.pk)
    endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
    failures = endpoints.values_list("consecutive_failures", flat=True).first() or 0
    if failures < settings.WEBHOOKS_DISABLE_AFTER:
        return
    with transaction.atomic():
        # Once: only the update that finds it enabled tells the owner.
        if endpoints.filter(disabled_at__isnull=True).update(disabled_at=timezone.now()):
            endpoint.consecutive_failures = failures
            _tell_owner(endpoint)


def _owners(endpoint: WebhookEndpoint) -> list:
    from tenancy.models import Membership
    from tenancy.roles import Role

    if endpoint.created_by_id and endpoint.created_by.is_active:
        return [endpoint.created_by]
    people = Membership.objects.filter(is_active=True, user__is_active=True).select_related("user")
    if endpoint.partner_id:
        people = people.filter(partner_organization_id=endpoint.partner_id, role=Role.PARTNER_ADMIN)
    else:
        people = people.filter(role=Role.PROGRAM_ADMIN)
    return [membership.user for membership in people.order_by("user__email")]


def _tell_owner(endpoint: WebhookEndpoint) -> None:
    from tenancy.notifications import notify

    surface = "portal" if endpoint.partner_id else "console"
    path = reverse(f"{surface}_webhook", kwargs={"endpoint_uuid": endpoint.uuid})
    url = tenant_base_url(endpoint.tenant) + path
    with tenant_context(endpoint.tenant):
        for user in _owners(endpoint):
            context = {"endpoint": endpoint, "url": url, "recipient": user}
            notify(
                user=user,
                kind=WEBHOOK_DISABLED,
                subject=gettext("Webhook endpoint disabled: %(url)s") % {"url": endpoint.url},
                body_text=render_to_string("emails/integrations/webhook_disabled.txt", context),
                url=url,
                idempotency_key=f"webhook-disabled:{endpoint.uuid}:{endpoint.disabled_at}",
            )
