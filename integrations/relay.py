"""The relay: domain events (tenancy.events) out to whoever subscribes, through channels: the
webhook endpoints (here) and the CRM connections (integrations.crm). A channel says who its
targets are, which events each takes, and how one delivery is sent; the relay does the rest.

1. **Dispatch** (`dispatch`): events not yet dispatched, all tenants, oldest first, become one
   outbox row (tenancy.outbox) per subscribed target of every channel (`WebhookDelivery`,
   `CrmSync`), and the events are marked dispatched, in one transaction. Runs after every commit
   that emitted events (the `events_committed` hook) and from the sweep, so an event whose hook
   could not reach the broker goes out when it is back.
2. **Deliver** (`deliver`, a worker task per delivery): the outbox's claim / send / record steps.
   Deliveries of one aggregate (a deal) to one target go out in order: one waits while an
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
from collections.abc import Callable
from dataclasses import dataclass
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
from django.utils.module_loading import import_string
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


# --- Channels ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    """Where events go: one kind of target and its outbox model (see the module docstring)."""

    name: str
    model: type  # an OutboxRow with `event`, `aggregate_uuid` and the target's foreign key
    target_field: str  # "endpoint", "connection"
    targets: Callable[[set[int]], dict[int, list]]  # tenant ids → each tenant's live targets
    subscribed: Callable[[object, DomainEvent], bool]
    send: Callable[[object], None]  # one attempt; raises DeliveryFailed to retry
    paused: Callable[[object], bool]  # the target no longer takes deliveries: skip
    after: Callable[[object, str], None] = lambda delivery, status: None
    task: str = ""  # the worker task delivering one row, by path (kwargs: delivery_id)

    def row(self, event: DomainEvent, target, now):
        return self.model(
            tenant_id=event.tenant_id,
            event=event,
            aggregate_uuid=event.aggregate_uuid,
            idempotency_key=str(event.uuid),
            next_attempt_at=outbox.initial_next_attempt(DeliveryStatus.QUEUED, now),
            **{self.target_field: target},
        )


CHANNELS: dict[str, Channel] = {}


def register_channel(channel: Channel) -> None:
    CHANNELS[channel.name] = channel


# --- Dispatch --------------------------------------------------------------------------------


def dispatch(*, limit: int = DISPATCH_BATCH) -> list[tuple[str, int]]:
    """Fan every undispatched event out to its targets, `limit` events a transaction (see the
    module docstring). Returns the new rows as (channel name, id), in order."""
    made: list[tuple[str, int]] = []
    while True:
        seen, batch = _dispatch_batch(limit)
        made += batch
        if seen < limit:
            return made


def _dispatch_batch(limit: int) -> tuple[int, list[tuple[str, int]]]:
    now = timezone.now()
    made: list[tuple[str, int]] = []
    with transaction.atomic():
        events = list(
            DomainEvent.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(dispatched_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not events:
            return 0, []
        tenant_ids = {event.tenant_id for event in events}
        for channel in CHANNELS.values():
            targets = channel.targets(tenant_ids)
            rows = [
                channel.row(event, target, now)
                for event in events
                for target in targets.get(event.tenant_id, ())
                if channel.subscribed(target, event)
            ]
            channel.model.objects.unscoped().bulk_create(rows, batch_size=500)
            made += [(channel.name, row.pk) for row in rows]
        DomainEvent.objects.unscoped().filter(pk__in=[event.pk for event in events]).update(
            dispatched_at=now
        )
    return len(events), made


def enqueue(rows) -> None:
    """Hand rows, as (channel name, id), to the workers."""
    for name, pk in rows:
        import_string(CHANNELS[name].task).delay(delivery_id=pk)


def dispatch_and_enqueue() -> int:
    rows = dispatch()
    enqueue(rows)
    return len(rows)


def on_events_committed() -> None:
    """The `events_committed` hook: dispatch on a worker (eager in tests: right here)."""
    from .tasks import dispatch_events

    dispatch_events.delay()


def sweep(*, now=None) -> int:
    """Beat, every minute: events left undispatched (the broker was down at their commit), then
    deliveries whose retry is due or whose first delivery was lost."""
    rows = dispatch()
    new = set(rows)
    for channel in CHANNELS.values():
        due = outbox.outbox_take_due(channel.model, now=now)
        rows += [(channel.name, pk) for pk in due if (channel.name, pk) not in new]
    enqueue(sorted(rows))
    return len(rows)


def prune(*, now=None) -> int:
    """Daily: events (and their delivery logs) older than WEBHOOKS_LOG_DAYS go, once dispatched
    and with no delivery still to finish: the log keeps what a person may want to send again,
    the table does not grow for ever. Returns how many events went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOKS_LOG_DAYS)
    old = DomainEvent.objects.unscoped().filter(occurred_at__lt=cutoff, dispatched_at__isnull=False)
    for channel in CHANNELS.values():
        rows = channel.model.objects.unscoped()
        unfinished = rows.filter(status__in=UNFINISHED, event__isnull=False)
        old = old.exclude(pk__in=unfinished.values("event_id"))
        # Rows a person queued without an event (a CRM's first sync) go by their own age.
        rows.filter(event__isnull=True, created_at__lt=cutoff).exclude(
            status__in=UNFINISHED
        ).delete()
    count = 0
    while ids := list(old.values_list("pk", flat=True)[:1000]):
        for channel in CHANNELS.values():
            channel.model.objects.unscoped().filter(event_id__in=ids).delete()
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
        raise DeliveryFailed(gettext("Only http(s) addresses can be used."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:  # e.g. :99999
        raise DeliveryFailed(gettext("The URL's port is not valid.")) from error
    if parts.scheme == "http" and not allow_private:
        raise DeliveryFailed(gettext("Only https addresses are allowed (plain http is not)."))
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


def _chain(channel: Channel, delivery):
    """The rows of the same aggregate to the same target (delivered in id order)."""
    target = f"{channel.target_field}_id"
    return channel.model.objects.unscoped().filter(
        tenant_id=delivery.tenant_id,
        aggregate_uuid=delivery.aggregate_uuid,
        **{target: getattr(delivery, target)},
    )


def _waiting(channel: Channel, delivery) -> bool:
    """An earlier row of the chain is not finished."""
    return _chain(channel, delivery).filter(id__lt=delivery.id, status__in=UNFINISHED).exists()


def _hand_on(channel: Channel, delivery) -> None:
    """A finished row lets the next of its chain go."""
    following = (
        _chain(channel, delivery)
        .filter(id__gt=delivery.id, status=DeliveryStatus.QUEUED)
        .order_by("id")
        .values_list("pk", flat=True)
        .first()
    )
    if following is not None:
        enqueue([(channel.name, following)])


def deliver(channel_name: str, delivery_id: int) -> str | None:
    """Deliver one row of a channel (the body of its worker task; outside any transaction).
    Returns the final status, or None when there was nothing to do now."""
    channel = CHANNELS[channel_name]
    delivery = (
        channel.model.objects.unscoped()
        .select_related(channel.target_field, "event", "tenant")
        .filter(pk=delivery_id)
        .first()
    )
    if delivery is None:
        return None
    pending = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)
    if delivery.status in pending and (channel.paused(delivery) or not delivery.tenant.is_active):
        channel.model.objects.unscoped().filter(pk=delivery.pk, status__in=pending).update(
            status=DeliveryStatus.SKIPPED,
            next_attempt_at=None,
            reason=gettext("Not sent: the endpoint or connection is paused or disabled."),
        )
        _hand_on(channel, delivery)
        return DeliveryStatus.SKIPPED
    if delivery.status == DeliveryStatus.QUEUED and _waiting(channel, delivery):
        return None  # the earlier one hands on when it is done (or the sweep comes round)
    status = outbox.outbox_deliver(
        channel.model, delivery.pk, lambda _row: channel.send(delivery), retry_on=(DeliveryFailed,)
    )
    channel.after(delivery, status)
    if status in (DeliveryStatus.SENT, DeliveryStatus.GAVE_UP):
        _hand_on(channel, delivery)
    return status


# --- The webhook channel ---------------------------------------------------------------------


def _webhook_targets(tenant_ids: set[int]) -> dict[int, list[WebhookEndpoint]]:
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in (
        WebhookEndpoint.objects.unscoped()
        .filter(tenant_id__in=tenant_ids, is_active=True, disabled_at__isnull=True)
        .select_related("partner")
    ):
        endpoints[endpoint.tenant_id].append(endpoint)
    return endpoints


def _subscribed(endpoint: WebhookEndpoint, event: DomainEvent) -> bool:
    if event.type not in endpoint.event_types:
        return False
    return endpoint.partner_id is None or endpoint.partner.uuid == event.partner_uuid


def _webhook_paused(delivery: WebhookDelivery) -> bool:
    return bool(delivery.endpoint.disabled_at or not delivery.endpoint.is_active)


def _webhook_after(delivery: WebhookDelivery, status: str | None) -> None:
    endpoint = delivery.endpoint
    if status == DeliveryStatus.SENT:
        WebhookEndpoint.objects.unscoped().filter(pk=endpoint.pk).update(consecutive_failures=0)
    elif status in (DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP):
        _count_failure(endpoint)


WEBHOOKS = Channel(
    name="webhook",
    model=WebhookDelivery,
    target_field="endpoint",
    targets=_webhook_targets,
    subscribed=_subscribed,
    send=_post,
    paused=_webhook_paused,
    after=_webhook_after,
    task="integrations.tasks.deliver_webhook",
)
register_channel(WEBHOOKS)


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
