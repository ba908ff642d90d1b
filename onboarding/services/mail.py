"""Onboarding mail on the tenant-wide outbox (tenancy.emails): welcome kits and cadence mail are
rows of tenancy's OutboundEmail, tagged with the partner (and the cadence step) they concern.
Delivery, retries, the at-most-once claim and the console decisions are tenancy's."""

from __future__ import annotations

from tenancy.emails import email_enqueue
from tenancy.models import OutboundEmail

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
) -> tuple[OutboundEmail, bool]:
    """Write one onboarding mail once per key (the existing row and False on a repeat)."""
    return email_enqueue(
        kind=kind,
        to=to,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        reply_to=reply_to,
        idempotency_key=idempotency_key,
        partner_uuid=partner.uuid if partner is not None else None,
        source_uuid=cadence_step.uuid if cadence_step is not None else None,
        recipient=recipient,
        headers=headers,
        status=status,
        reason=reason,
        sensitive=sensitive,
    )
