"""Onboarding mail: one OutboundEmail row per message, sent after commit, never twice.

A workflow or cadence transaction creates the row (queued, with the rendered message) under an
idempotency key, so a second attempt to create the same mail finds the first. Once that commits,
the task `send_outbound_email` delivers it in three steps, each committed on its own:

1. lock the row; only a queued (or due failed) row goes on; mark it SENDING, attempts + 1;
2. hand the message to the SMTP server;
3. mark it SENT (or FAILED with a backoff, GAVE_UP after MAX_EMAIL_ATTEMPTS).

A row found in SENDING was handed over by a worker that died before step 3: it may have gone out,
so it is never re-sent automatically; the console shows it as unconfirmed ("send again" / "mark as
sent"). A refused recipient or an unreachable server (step 2 raised) is retried by a sweep.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.tasks import enqueue

from ..models import EmailStatus, OutboundEmail

logger = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... failed attempt; after the last, the row gives up.
EMAIL_BACKOFF_MINUTES = (1, 5, 15, 60, 240)
MAX_EMAIL_ATTEMPTS = len(EMAIL_BACKOFF_MINUTES) + 1
# A queued row older than this was probably never enqueued (broker down at commit): re-enqueue.
QUEUED_STALE_AFTER = timedelta(minutes=10)


def program_from_address(tenant) -> str:
    """The program's own sender: the tenant's name on the platform's sending address."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((_("%(tenant)s Partner Program") % {"tenant": tenant.name}, address))


def person_from_address(user) -> str:
    return formataddr((user.full_name or user.email, user.email))


def email_queue(
    *,
    partner,
    kind: str,
    idempotency_key: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    from_email: str = "",
    reply_to: str = "",
    headers: dict | None = None,
    recipient=None,
    cadence_step=None,
    status: str = EmailStatus.QUEUED,
    reason: str = "",
) -> tuple[OutboundEmail, bool]:
    """Create the mail once per key (returns the existing row and False on a repeat). A queued
    row is sent after the surrounding transaction commits; any other status (skipped,
    unsubscribed) is only logged."""
    existing = OutboundEmail.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing, False
    tenant = require_current_tenant()
    try:
        with transaction.atomic():
            row = OutboundEmail.objects.create(
                tenant=tenant,
                partner=partner,
                kind=kind,
                cadence_step=cadence_step,
                idempotency_key=idempotency_key,
                recipient_email=to,
                recipient=recipient,
                from_email=from_email or program_from_address(tenant),
                reply_to=reply_to,
                subject=subject[:300],
                body_text=body_text,
                body_html=body_html,
                headers=headers or {},
                status=status,
                reason=reason[:300],
            )
    except IntegrityError:  # created concurrently: the other writer's row stands
        return OutboundEmail.objects.get(idempotency_key=idempotency_key), False
    if status == EmailStatus.QUEUED:
        _enqueue_send(row)
    return row, True


def _enqueue_send(row: OutboundEmail) -> None:
    from ..tasks.workflow import send_outbound_email

    enqueue(send_outbound_email, tenant=require_current_tenant(), email_id=row.pk)


def _message(row: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=row.subject,
        body=row.body_text,
        from_email=row.from_email or None,
        to=[row.recipient_email],
        reply_to=[row.reply_to] if row.reply_to else None,
        headers=dict(row.headers or {}),
    )
    if row.body_html:
        message.attach_alternative(row.body_html, "text/html")
    return message


def email_deliver(*, email_id: int) -> str | None:
    """Send one queued mail (the body of the `send_outbound_email` task, which runs with
    atomic=False: each step below commits before the next). Returns the final status, or None
    when the row was not in a sendable state (already sent, sending elsewhere, not yet due)."""
    now = timezone.now()
    with transaction.atomic():
        row = OutboundEmail.objects.select_for_update().filter(pk=email_id).first()
        if row is None:
            return None
        due = row.next_attempt_at is None or row.next_attempt_at <= now
        if not (row.status == EmailStatus.QUEUED or (row.status == EmailStatus.FAILED and due)):
            return None
        row.status = EmailStatus.SENDING
        row.attempts += 1
        row.save(update_fields=["status", "attempts"])
    message = _message(row)
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("Onboarding mail %s to %s failed: %s", row.pk, row.recipient_email, exc)
        return _record_failure(row, exc)
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=row.pk).update(
            status=EmailStatus.SENT,
            sent_at=timezone.now(),
            last_error="",
            next_attempt_at=None,
            reason="",
        )
    return EmailStatus.SENT


def _record_failure(row: OutboundEmail, exc: Exception) -> str:
    error = f"{type(exc).__name__}: {exc}"
    if row.attempts >= MAX_EMAIL_ATTEMPTS:
        status, next_at = EmailStatus.GAVE_UP, None
        reason = _("Gave up after %(n)s attempts.") % {"n": row.attempts}
    else:
        status = EmailStatus.FAILED
        next_at = timezone.now() + timedelta(minutes=EMAIL_BACKOFF_MINUTES[row.attempts - 1])
        reason = _("Attempt %(n)s failed; will retry.") % {"n": row.attempts}
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=row.pk).update(
            status=status, last_error=error[:2000], next_attempt_at=next_at, reason=reason
        )
    return status


def emails_retry_due(*, now=None) -> int:
    """Sweep (current tenant): re-enqueue failed mail whose retry is due and queued mail that
    waited too long. Never touches SENDING rows. Returns how many were enqueued."""
    now = now or timezone.now()
    due = OutboundEmail.objects.filter(
        Q(status=EmailStatus.FAILED, next_attempt_at__lte=now)
        | Q(status=EmailStatus.QUEUED, created_at__lt=now - QUEUED_STALE_AFTER)
    ).only("pk")
    rows = list(due[:500])
    for row in rows:
        # Sent on commit of the caller's (or the task's) transaction.
        _enqueue_send(row)
    return len(rows)


# --- Console actions on one mail ---------------------------------------------------------------


def _require_manage(actor: Actor, row: OutboundEmail) -> None:
    partner = row.partner
    if partner is None or not access.may_manage_partner(actor, partner):
        raise PermissionDenied(_("Only this partner's channel manager or an admin may do this."))


@transaction.atomic
def email_send_again(*, actor: Actor, email: OutboundEmail) -> OutboundEmail:
    """Queue an unconfirmed, failed or given-up mail again (a person decided it did not go out)."""
    _require_manage(actor, email)
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.status not in (EmailStatus.SENDING, EmailStatus.FAILED, EmailStatus.GAVE_UP):
        raise ValidationError(_("Only unconfirmed or failed mail can be sent again."))
    old = email.status
    email.status = EmailStatus.QUEUED
    email.next_attempt_at = None
    email.reason = _("Sent again by %(who)s.") % {"who": actor.label}
    email.save(update_fields=["status", "next_attempt_at", "reason"])
    audit_record(
        actor=actor,
        action="onboarding.email_send_again",
        target=email,
        changes={"status": [old, EmailStatus.QUEUED], "to": email.recipient_email},
    )
    _enqueue_send(email)
    return email


@transaction.atomic
def email_mark_sent(*, actor: Actor, email: OutboundEmail) -> OutboundEmail:
    """Record that an unconfirmed mail did go out (e.g. the recipient confirmed receipt)."""
    _require_manage(actor, email)
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if email.status != EmailStatus.SENDING:
        raise ValidationError(_("Only unconfirmed mail can be marked as sent."))
    email.status = EmailStatus.SENT
    email.sent_at = email.sent_at or timezone.now()
    email.reason = _("Marked as sent by %(who)s.") % {"who": actor.label}
    email.save(update_fields=["status", "sent_at", "reason"])
    audit_record(
        actor=actor,
        action="onboarding.email_marked_sent",
        target=email,
        changes={"status": [EmailStatus.SENDING, EmailStatus.SENT]},
    )
    return email
