"""The relay's worker tasks (integrations.relay explains the steps)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="integrations.tasks.dispatch_events")
def dispatch_events() -> int:
    from .relay import dispatch_and_enqueue

    return dispatch_and_enqueue()


# Not a TenantTask: the outbox row is the claim (tenancy.outbox), as for mail.
@shared_task(name="integrations.tasks.deliver_webhook", acks_late=True)
def deliver_webhook(*, delivery_id: int) -> str | None:
    from .relay import WEBHOOKS, deliver

    return deliver(WEBHOOKS.name, delivery_id)


@shared_task(name="integrations.tasks.sweep")
def sweep() -> int:
    """Beat (every minute): events the broker missed, deliveries whose retry is due."""
    from .relay import sweep as relay_sweep

    return relay_sweep()


@shared_task(name="integrations.tasks.prune")
def prune() -> int:
    """Beat (daily): events and delivery logs past WEBHOOKS_LOG_DAYS."""
    from .relay import prune as relay_prune

    return relay_prune()


# Not a TenantTask: the outbox row is the claim, as for webhooks.
@shared_task(name="integrations.tasks.push_to_crm", acks_late=True)
def push_to_crm(*, delivery_id: int) -> str | None:
    from .crm import CHANNEL
    from .relay import deliver

    return deliver(CHANNEL.name, delivery_id)


@shared_task(name="integrations.tasks.pull_crm")
def pull_crm(*, connection_id: int) -> int | None:
    from .crm import pull
    from .models import CrmConnection

    connection = (
        CrmConnection.objects.unscoped().select_related("tenant").filter(pk=connection_id).first()
    )
    return pull(connection) if connection is not None and connection.is_active else None


@shared_task(name="integrations.tasks.pull_crm_due")
def pull_crm_due() -> int:
    """Beat (every minute): pull each connection not pulled for CRM_PULL_SECONDS."""
    from .crm import pull_due

    return pull_due()
