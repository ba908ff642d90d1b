"""Demo data for integrations: a webhook endpoint of the program's, paused (the demo has nowhere
to post to: point it at a receiver and enable it), with the delivery log of the demo's own deal
events: most accepted at once, one after a retry; and a CRM connection in demo mode (a simulated
Salesforce) that has received the approved registrations and moved some on. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from tenancy.access import actor_for_user
from tenancy.models import DomainEvent
from tenancy.outbox import DeliveryStatus

from . import connections, crm, relay, webhooks
from .models import CrmConnection, CrmSync, WebhookAttempt, WebhookDelivery, WebhookEndpoint

URL = "https://crm.example/prm-webhooks"
EVENTS = ["deal.submitted", "deal.approved", "deal.won", "deal.lost", "partner.tier_changed"]


def seed(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). staff: role name -> User."""
    seed_webhooks(tenant, staff=staff)
    seed_crm(tenant, staff=staff)


def seed_crm(tenant, *, staff) -> None:
    """A simulated Salesforce: the approved registrations are sent to it (as a person does after
    connecting a CRM), and two pulls move some opportunities on in the "CRM"."""
    if CrmConnection.objects.exists():
        return
    connection = connections.connection_create(
        actor=actor_for_user(staff["admin"], tenant),
        kind="salesforce",
        name="Salesforce (demo mode)",
        settings={"login_url": "https://login.salesforce.com"},
        demo_mode=True,
    )
    relay.dispatch()
    for pk in (
        CrmSync.objects.filter(connection=connection).order_by("id").values_list("pk", flat=True)
    ):
        relay.deliver(crm.CHANNEL.name, pk)
    for _round in range(2):
        connection.refresh_from_db()
        crm.pull(connection)


def seed_webhooks(tenant, *, staff) -> None:
    if WebhookEndpoint.objects.filter(url=URL).exists():
        return
    admin = actor_for_user(staff["admin"], tenant)
    endpoint, _secret = webhooks.endpoint_create(
        actor=admin,
        url=URL,
        event_types=EVENTS,
        description="The sales team's CRM (paused in the demo: nothing to post to)",
    )
    endpoint.is_active = False
    endpoint.save(update_fields=["is_active"])
    events = list(DomainEvent.objects.filter(type__in=EVENTS).order_by("-id")[:12])[::-1]
    for index, event in enumerate(events):
        retried = index == 3
        at = event.occurred_at + timedelta(seconds=2)
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            event=event,
            aggregate_uuid=event.aggregate_uuid,
            idempotency_key=str(event.uuid),
            status=DeliveryStatus.SENT,
            attempts=2 if retried else 1,
            created_at=event.occurred_at,
            sent_at=at + timedelta(minutes=1 if retried else 0),
        )
        if retried:
            WebhookAttempt.objects.create(
                delivery=delivery,
                at=at,
                status_code=503,
                latency_ms=1204,
                response_excerpt="Service Unavailable: maintenance window",
            )
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=delivery.sent_at,
            status_code=200,
            latency_ms=180 + 37 * (index % 5),
            response_excerpt='{"received": true}',
        )
