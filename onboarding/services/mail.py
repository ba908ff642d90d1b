"""Onboarding mail on the tenant-wide outbox (tenancy.emails): welcome kits and cadence mail are
rows of tenancy's OutboundEmail, tagged with the partner (and the cadence step) they concern.
Delivery, retries, the at-most-once claim and the console decisions are tenancy's. Mail to a
member goes through tenancy.notifications.notify (their channel: mail, in the app or both); mail
to an invitee's address straight to the outbox."""

from __future__ import annotations

from tenancy.emails import email_enqueue
from tenancy.models import OutboundEmail
from tenancy.notifications import notify

from ..models import EmailStatus


def email_queue(
    *,
    partner,
    kind: str,
    idempotency_key: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    reply_to: str = "",
    headers: dict | None = None,
    recipient=None,
    cadence_step=None,
    status: str = EmailStatus.QUEUED,
    reason: str = "",
    sensitive: bool = False,
    url: str = "",
) -> tuple[OutboundEmail, bool]:
    """Write one onboarding mail once per key (the existing row and False on a repeat). With a
    `recipient` (a member), also in their bell, as they chose; `url` is the page it is about."""
    fields = {
        "kind": kind,
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "reply_to": reply_to,
        "idempotency_key": idempotency_key,
        "partner_uuid": partner.uuid if partner is not None else None,
        "source_uuid": cadence_step.uuid if cadence_step is not None else None,
        "headers": headers,
        "status": status,
        "reason": reason,
        "sensitive": sensitive,
    }
    if recipient is not None and recipient.email.lower() == to.lower():
        done = notify(user=recipient, url=url, **fields)
        return done.email, done.created
    return email_enqueue(to=to, recipient=recipient, **fields)
