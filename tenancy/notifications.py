"""Telling a user that something happened: `notify(...)`, one call for every event addressed to a
person who has an account. It honours the person's channel for that kind of event
(NotificationPreference: email, in the app, or both -- both when they chose nothing):

- email: the mail is queued through the one outbox (tenancy.emails). When the person reads this
  kind in the app only, the mail row is still written, as SKIPPED with the reason: the mail log
  says why nothing went out, and a second call with the same idempotency key stays a no-op;
- in the app: a Notification row for the bell and the /notifications/ page.

Kinds declared `always_mail` (security, account) are mailed whatever the choice; kinds declared
`in_app=False` never reach the bell. Mail to an address that is not (yet) a user -- an applicant,
an invitee -- still goes straight to `email_enqueue`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from .emails import ALWAYS_MAILED, IN_APP_KINDS, MAIL_KINDS, Attachment, email_enqueue
from .models import (
    Membership,
    Notification,
    NotificationChannel,
    NotificationPreference,
    OutboundEmail,
)
from .outbox import DeliveryStatus

MAIL_CHANNELS = frozenset({NotificationChannel.MAIL, NotificationChannel.BOTH})
IN_APP_CHANNELS = frozenset({NotificationChannel.IN_APP, NotificationChannel.BOTH})


@dataclass(frozen=True)
class Notified:
    """What notify() wrote: the mail row (queued, or skipped when the person reads this kind in
    the app only), the in-app notification (or None), and False when the idempotency key had
    been used before (nothing new written)."""

    email: OutboundEmail | None
    notification: Notification | None
    created: bool


def channel_for(user, kind: str) -> str:
    """The person's channel for `kind` in the current tenant: their choice for the kind, else
    their default, else both (one query)."""
    chosen = dict(
        NotificationPreference.objects.filter(user=user, kind__in=[kind, ""]).values_list(
            "kind", "channel"
        )
    )
    return chosen.get(kind) or chosen.get("") or NotificationChannel.BOTH


def _checked_url(url: str) -> str:
    """A path on the tenant's host (an absolute link to it is kept as its path, so it works on
    whatever port or scheme the page is served) or an http(s) URL elsewhere."""
    from .context import require_current_tenant
    from .hosts import tenant_base_url

    # WARNING: the bell links to it: a path on this host or an http(s) URL, never javascript:.
    if url and not (
        (url.startswith("/") and not url.startswith("//"))
        or url.startswith(("https://", "http://"))
    ):
        raise ValueError(f"A notification links to a path or an http(s) URL, not {url!r}.")
    base = tenant_base_url(require_current_tenant())
    if url.startswith(base + "/"):
        url = url[len(base) :]
    return url


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
    headers: dict | None = None,
    sensitive: bool = False,
    status: str = DeliveryStatus.QUEUED,
    reason: str = "",
) -> Notified:
    """Tell `user` about an event of `kind` (a declared mail kind) in the current tenant and
    transaction, by mail and/or in the app as they chose. `url` is the page that shows it (a
    path on the tenant's host, or absolute). `status` other than QUEUED records a mail that is
    not sent (e.g. a cadence step whose condition is met) and tells nobody anything."""
    url = _checked_url(url)
    channel = channel_for(user, kind) if kind in IN_APP_KINDS else NotificationChannel.MAIL
    by_mail = kind in ALWAYS_MAILED or channel in MAIL_CHANNELS
    in_app = kind in IN_APP_KINDS and channel in IN_APP_CHANNELS
    telling = status == DeliveryStatus.QUEUED
    if telling and not by_mail:
        status = DeliveryStatus.SKIPPED
        reason = _("Not mailed: the recipient reads these in the app.")
    email, created = None, True
    if user.email:
        email, created = email_enqueue(
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
            headers=headers,
            sensitive=sensitive,
            status=status,
            reason=reason,
        )
    notification = None
    if created and telling and in_app:
        notification = Notification.objects.create(
            recipient=user,
            kind=kind,
            title=" ".join(str(subject).split())[:300],
            # A credential (a sign-in or confirmation link) stays in the mail.
            body="" if sensitive else body_text,
            url=url,
        )
    return Notified(email=email, notification=notification, created=created)


# --- Reading -------------------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    """The person's own notifications in the current tenant, newest first."""
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notification_kinds() -> list[tuple[str, str]]:
    """The kinds a person may choose a channel for, by their human label."""
    kinds = [(key, str(MAIL_KINDS[key])) for key in IN_APP_KINDS - ALWAYS_MAILED]
    return sorted(kinds, key=lambda item: item[1].lower())


def preferences_of(user) -> dict[str, str]:
    """The person's choices in the current tenant: {kind or "" (the default): channel}."""
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "channel"))


# --- Writing -------------------------------------------------------------------------------------


def notification_mark_read(*, user, notification: Notification) -> Notification:
    """Mark one of the person's own notifications read (again: no change)."""
    if notification.recipient_id != user.pk:
        raise PermissionError("A notification is read by its recipient only.")
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of the person read; returns how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_preferences_save(
    *, membership: Membership, channels: Mapping[str, str], time_zone: str
) -> None:
    """Save a member's channels ({kind or "" for the default: channel, "" = as the default})
    and time zone ("" = the program's). Unknown kinds are refused, not stored."""
    allowed = {key for key, _label in notification_kinds()} | {""}
    unknown = set(channels) - allowed
    if unknown:
        raise ValueError(f"Not a kind with a choice of channel: {sorted(unknown)}")
    user_id = membership.user_id
    for kind, channel in channels.items():
        as_default = channel == "" or (kind == "" and channel == NotificationChannel.BOTH)
        if as_default:
            NotificationPreference.objects.filter(user_id=user_id, kind=kind).delete()
        else:
            NotificationPreference.objects.update_or_create(
                user_id=user_id, kind=kind, defaults={"channel": NotificationChannel(channel)}
            )
    if membership.time_zone != time_zone:
        membership.time_zone = time_zone
        membership.full_clean(validate_unique=False, validate_constraints=False)
        membership.save(update_fields=["time_zone"])
