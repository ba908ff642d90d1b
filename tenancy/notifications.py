"""Telling a user that something happened: `notify(...)`, one call for every event addressed to a
person who has an account. Today it queues the mail through the one outbox (tenancy.emails); the
in-app notification centre and each user's choice of channel (mail, in-app or both) are added here,
so callers never change.

Mail to an address that is not (yet) a user -- an applicant, an invitee, a cadence recipient --
still goes straight to `email_enqueue`.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from .emails import Attachment, email_enqueue


def notify(
    *,
    user,
    kind: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    url: str = "",
    reply_to: str = "",
    idempotency_key: str | None = None,
    partner_uuid: UUID | None = None,
    source_uuid: UUID | None = None,
    attachments: Iterable[Attachment] = (),
) -> None:
    """Tell `user` about an event of `kind` (a declared mail kind) in the current tenant and
    transaction. `url` is the page that shows it (absolute, or a path on the tenant's host)."""
    if not user.email:
        return
    email_enqueue(
        kind=kind,
        to=user.email,
        recipient=user,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        reply_to=reply_to,
        idempotency_key=idempotency_key,
        partner_uuid=partner_uuid,
        source_uuid=source_uuid,
        attachments=attachments,
    )
