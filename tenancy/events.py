"""Domain events: the one way an app tells the outside world that something changed.

An app calls `emit(...)` inside the transaction of its change (as it queues mail): the event is a
`DomainEvent` row in the same transaction, so it exists exactly when the change does. After the
commit, the hooks registered in `events_committed` run (integrations registers its relay there);
if they fail (the broker is down), the relay's periodic sweep finds the undelivered rows later.
No app below `integrations` knows who listens.

    from tenancy.events import emit
    emit("deal.approved", aggregate="deal", aggregate_uuid=deal.uuid,
         partner_uuid=partner.uuid, data={...})

Event types are listed in EVENT_TYPES (what a webhook endpoint can subscribe to); the payload is
JSON (dates, decimals and UUIDs as strings).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from uuid import UUID

from celery import current_app
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .context import require_current_tenant
from .models import DomainEvent
from .registry import Registry

logger = logging.getLogger(__name__)

EVENT_TYPES = {
    "partner.signed": _("A partner signed the partner agreement"),
    "partner.tier_changed": _("A partner moved to another tier"),
    "deal.submitted": _("A deal registration was submitted"),
    "deal.approved": _("A deal registration was approved"),
    "deal.rejected": _("A deal registration was rejected"),
    "deal.expired": _("A deal registration's lock expired"),
    "deal.won": _("A registered deal was won"),
    "deal.lost": _("A registered deal was lost"),
    "certification.awarded": _("A certification was awarded"),
    "certification.expired": _("A certification expired"),
    "mdf.request_approved": _("An MDF request was approved"),
    "mdf.claim_paid": _("An MDF claim was paid"),
    "lead.created": _("A campaign brought a new lead"),
}

# Hooks run after a transaction that emitted events commits (integrations: its relay).
events_committed = Registry("tenancy.events_committed")


def _event(type_: str, aggregate: str, aggregate_uuid, partner_uuid, data: dict, now):
    if type_ not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {type_!r}: add it to tenancy.events.EVENT_TYPES.")
    return DomainEvent(
        tenant=require_current_tenant(),
        type=type_,
        aggregate=aggregate,
        aggregate_uuid=aggregate_uuid,
        partner_uuid=partner_uuid,
        payload=data,
        occurred_at=now,
    )


def emit(
    type_: str,
    *,
    aggregate: str,
    aggregate_uuid: UUID,
    partner_uuid: UUID | None = None,
    data: dict,
) -> DomainEvent:
    """Record one event in the current transaction (see the module docstring)."""
    event = _event(type_, aggregate, aggregate_uuid, partner_uuid, data, timezone.now())
    event.save()
    _after_commit()
    return event


def emit_many(type_: str, *, aggregate: str, items: Iterable[tuple[UUID, UUID | None, dict]]):
    """`emit` for a batch (the sweeps): one INSERT of (aggregate uuid, partner uuid, data)."""
    now = timezone.now()
    events = [_event(type_, aggregate, key, partner, data, now) for key, partner, data in items]
    if events:
        DomainEvent.objects.bulk_create(events)
        _after_commit()
    return events


def _run_hooks() -> None:
    for hook in events_committed:
        hook()


def _after_commit() -> None:
    connection = transaction.get_connection()
    # Once per transaction, however many events it emits (the demo or an import emits
    # hundreds): a callback already waiting for this commit covers them all. A rolled-back
    # savepoint takes its callbacks with it, so the next event registers again.
    if any(entry[1] is _run_hooks for entry in connection.run_on_commit):
        return
    # robust: a hook that fails after the commit (the broker is down) must not turn the
    # committed change into an error; the relay's sweep delivers later. With eager tasks (the
    # tests) its errors surface.
    transaction.on_commit(_run_hooks, robust=not current_app.conf.task_always_eager)
