"""The transactional outbox: a row written with the change that causes it, delivered by a worker.

One mechanism for everything that leaves the system (today: mail, `tenancy.emails`; later the
integrations' domain events). A concrete outbox model inherits `OutboxRow`; its delivery calls
`outbox_deliver(model, pk, send)`, which runs three steps, each committed on its own:

1. claim: lock the row; only a QUEUED (or a due FAILED) row goes on; it becomes SENDING with
   attempts + 1, and that commits;
2. `send(row)`: the side effect we cannot undo (hand the mail to SMTP, post the webhook);
3. record the outcome: SENT, or FAILED with a backoff, or GAVE_UP after MAX_ATTEMPTS.

At most once: a row found SENDING was claimed by a worker that died between steps 1 and 3. It may
have gone out, so nothing re-sends it automatically; a person decides ("send again" / "mark as
sent"). A second delivery of the same task, a duplicate enqueue or a sweep racing the first
delivery all find the row no longer QUEUED and do nothing.

The sweep (`outbox_take_due`) finds, across all tenants in one indexed query, the rows whose
`next_attempt_at` has passed: FAILED rows whose backoff is over, and QUEUED rows whose delivery
was never enqueued (e.g. the broker was down at commit) -- a queued row's `next_attempt_at` is set
QUEUED_STALE_AFTER after its creation for that reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... failed attempt; after the last, the row gives up.
BACKOFF_MINUTES = (1, 5, 15, 60, 240)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
# A queued row not delivered after this long was probably never enqueued: the sweep enqueues it.
QUEUED_STALE_AFTER = timedelta(minutes=10)
SWEEP_BATCH = 500


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    # Handed over but not confirmed. A row left here by a worker killed mid-send is never
    # re-sent automatically (it may have gone out): the console shows it for a decision.
    SENDING = "sending", _("Sending (unconfirmed)")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed (will retry)")
    GAVE_UP = "gave_up", _("Failed (gave up)")
    # Logged only, never delivered:
    SKIPPED = "skipped", _("Skipped (no longer relevant)")
    UNSUBSCRIBED = "unsubscribed", _("Not sent (unsubscribed)")


# Rows a person may look at: possibly not delivered.
PROBLEM_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP, DeliveryStatus.SENDING)
# Rows a person may queue again.
RESENDABLE_STATUSES = (DeliveryStatus.SENDING, DeliveryStatus.FAILED, DeliveryStatus.GAVE_UP)
# Rows the sweep may pick up (the partial index below covers exactly these).
PENDING_STATUSES = (DeliveryStatus.QUEUED, DeliveryStatus.FAILED)


class OutboxRow(models.Model):
    """The delivery state of one outbox row. Concrete models add what is delivered."""

    # Unique per tenant where given: a second attempt to create the same message finds the first.
    idempotency_key = models.CharField(max_length=300, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(max_length=300, blank=True)  # why skipped / what happened last
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the sweep should pick the row up (QUEUED: if nothing delivered it; FAILED: retry).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_problem(self) -> bool:
        return self.status in PROBLEM_STATUSES

    @property
    def may_send_again(self) -> bool:
        return self.status in RESENDABLE_STATUSES

    @property
    def may_mark_sent(self) -> bool:
        return self.status == DeliveryStatus.SENDING


def pending_index(model_name: str) -> models.Index:
    """The sweep's index: due rows across tenants, in one small partial index."""
    return models.Index(
        fields=["next_attempt_at"],
        condition=models.Q(status__in=PENDING_STATUSES),
        name=f"{model_name}_pending",
    )


def initial_next_attempt(status: str, now=None):
    return (now or timezone.now()) + QUEUED_STALE_AFTER if status == DeliveryStatus.QUEUED else None


def outbox_claim(model: type[OutboxRow], pk: int, *, now=None):
    """Step 1: mark the row SENDING (committed) if it is deliverable now; else None."""
    now = now or timezone.now()
    with transaction.atomic():
        row = model.objects.unscoped().select_for_update().filter(pk=pk).first()
        if row is None:
            return None
        due = row.next_attempt_at is None or row.next_attempt_at <= now
        if not (
            row.status == DeliveryStatus.QUEUED or (row.status == DeliveryStatus.FAILED and due)
        ):
            return None
        row.status = DeliveryStatus.SENDING
        row.attempts += 1
        # NOTE: an update, not save(): a delivery runs outside any tenant context.
        model.objects.unscoped().filter(pk=pk).update(status=row.status, attempts=row.attempts)
    return row


def outbox_record_sent(model: type[OutboxRow], pk: int) -> str:
    with transaction.atomic():
        model.objects.unscoped().filter(pk=pk).update(
            status=DeliveryStatus.SENT,
            sent_at=timezone.now(),
            last_error="",
            next_attempt_at=None,
            reason="",
        )
    return DeliveryStatus.SENT


def outbox_record_failure(model: type[OutboxRow], row: OutboxRow, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"
    if row.attempts >= MAX_ATTEMPTS:
        status, next_at = DeliveryStatus.GAVE_UP, None
        reason = gettext("Gave up after %(n)s attempts.") % {"n": row.attempts}
    else:
        status = DeliveryStatus.FAILED
        next_at = timezone.now() + timedelta(minutes=BACKOFF_MINUTES[row.attempts - 1])
        reason = gettext("Attempt %(n)s failed; will retry.") % {"n": row.attempts}
    with transaction.atomic():
        model.objects.unscoped().filter(pk=row.pk).update(
            status=status, last_error=error[:2000], next_attempt_at=next_at, reason=reason
        )
    return status


def outbox_deliver(
    model: type[OutboxRow],
    pk: int,
    send: Callable[[OutboxRow], None],
    *,
    retry_on: tuple[type[BaseException], ...],
) -> str | None:
    """Deliver one row (see the module docstring). Call it outside any transaction: each step
    must commit before the next. Returns the final status, or None when the row was not
    deliverable (already sent, being sent elsewhere, not yet due). Exceptions in `retry_on`
    count as a failed attempt; any other propagates and leaves the row SENDING (unconfirmed)."""
    row = outbox_claim(model, pk)
    if row is None:
        return None
    try:
        send(row)
    except retry_on as exc:
        logger.warning("Outbox %s %s: attempt %s failed: %s", model.__name__, pk, row.attempts, exc)
        return outbox_record_failure(model, row, exc)
    return outbox_record_sent(model, pk)


def outbox_take_due(model: type[OutboxRow], *, now=None, limit: int = SWEEP_BATCH) -> list[int]:
    """The sweep, across all tenants in one indexed query: rows whose `next_attempt_at` has
    passed (FAILED with the backoff over, QUEUED never delivered) become QUEUED again with a new
    `next_attempt_at`, so a sweep running every minute does not pile up copies while the worker
    is behind. Returns their ids: the caller enqueues their delivery. Never touches SENDING."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            model.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(status__in=PENDING_STATUSES, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:limit]
        )
        if ids:
            model.objects.unscoped().filter(pk__in=ids).update(
                status=DeliveryStatus.QUEUED, next_attempt_at=now + QUEUED_STALE_AFTER
            )
    return ids


def outbox_requeue(row: OutboxRow, *, reason: str) -> None:
    """A person decided the row should go (again): QUEUED, delivered after commit."""
    row.status = DeliveryStatus.QUEUED
    row.next_attempt_at = initial_next_attempt(DeliveryStatus.QUEUED)
    row.reason = reason[:300]
    row.save(update_fields=["status", "next_attempt_at", "reason"])
