"""Mail, one way for every app: `email_enqueue(...)` writes an OutboundEmail row in the caller's
transaction; once it commits, the `deliver_email` task hands it to SMTP (tenancy.outbox explains
the claim that makes it at most once); the sweep retries failures with a backoff. No web request
talks to SMTP.

Sender: the program's own address (the tenant's name on the platform's sending domain, which
passes SPF/DMARC); a person the reader should answer (the channel manager) goes in Reply-To.

Apps above tenancy register what they send and how to scope it, at import or start-up:
- `mail_kind(key, label, always_mail=..., in_app=...)`: the kinds shown and filtered in the mail
  log, and how tenancy.notifications treats them (a person's choice of channel, the bell);
- `register_partner_scope(fn)`: which partners' mail a non-admin member may see and act on
  (partners registers it: tenancy knows no partner model).
"""

from __future__ import annotations

import base64
import logging
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import outbox
from .access import Actor
from .audit import audit_record
from .context import TenantNotSetError, get_current_tenant
from .models import OutboundEmail, Tenant
from .outbox import DeliveryStatus
from .roles import Role

logger = logging.getLogger(__name__)

# The errors of an SMTP hand-over worth another attempt (refused, unreachable, timed out).
RETRY_ON = (smtplib.SMTPException, OSError)

# --- Registries (filled by the apps that send) -------------------------------------------------

MAIL_KINDS: dict[str, Promise | str] = {}
# Kinds mailed whatever the reader chose (security and account mail: invitations, passwords).
ALWAYS_MAILED: set[str] = set()
# Kinds sent to people with an account, through notify(): in the bell, a channel to choose.
IN_APP_KINDS: set[str] = set()


def mail_kind(
    key: str, label: Promise | str, *, always_mail: bool = False, in_app: bool = True
) -> str:
    """Declare a kind of mail (`"<app>.<what>"`) with its human label; returns the key.

    `always_mail`: mailed whatever the reader's channel preference (security, account).
    `in_app=False`: mail to addresses without an account (applicants, invitees) or mail that must
    not be repeated in the app; it is never in the bell and has no preference."""
    known = MAIL_KINDS.get(key)
    # NOTE: compared as objects: str() of a lazy label would translate at import time.
    if known is not None and known is not label:
        raise ImproperlyConfigured(f"Mail kind {key!r} is declared twice with different labels.")
    MAIL_KINDS[key] = label
    (ALWAYS_MAILED.add if always_mail else ALWAYS_MAILED.discard)(key)
    (IN_APP_KINDS.add if in_app else IN_APP_KINDS.discard)(key)
    return key


def mail_kind_label(key: str) -> str:
    return str(MAIL_KINDS.get(key, key))


ACCOUNT = mail_kind(
    "tenancy.account",
    gettext_lazy("Account (sign-in, password)"),
    always_mail=True,
    in_app=False,  # carries a credential or a confirmation code: mail only
)
INVITATION = mail_kind(
    "tenancy.invitation", gettext_lazy("Invitation"), always_mail=True, in_app=False
)

# fn(actor) -> the UUIDs of the partners whose mail the actor may see and act on.
_partner_scope: list[Callable[[Actor], Iterable[UUID]]] = []


def register_partner_scope(fn: Callable[[Actor], Iterable[UUID]]) -> None:
    _partner_scope[:] = [fn]


def _managed_partner_uuids(actor: Actor) -> Iterable[UUID]:
    if not _partner_scope:
        raise ImproperlyConfigured(
            "No partner scope registered for the mail log (partners registers it at start-up)."
        )
    return _partner_scope[0](actor)


# --- Addresses ---------------------------------------------------------------------------------


def program_from_address(tenant: Tenant | None) -> str:
    """The program's own sender: the tenant's name on the platform's sending address."""
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    if tenant is None:
        return formataddr((name, address))
    return formataddr((_("%(tenant)s Partner Program") % {"tenant": tenant.name}, address))


def person_address(user) -> str:
    """A person as a Reply-To: "Full Name <email>"."""
    if user is None or not user.email:
        return ""
    return formataddr((user.full_name or user.email, user.email))


# --- Writing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes | str
    mimetype: str

    def as_json(self) -> dict:
        raw = self.content.encode() if isinstance(self.content, str) else self.content
        return {
            "filename": self.filename,
            "mimetype": self.mimetype,
            "content_b64": base64.b64encode(raw).decode("ascii"),
        }


def email_enqueue(
    *,
    kind: str,
    to: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    reply_to: str = "",
    idempotency_key: str | None = None,
    partner_uuid: UUID | None = None,
    source_uuid: UUID | None = None,
    recipient=None,
    headers: dict | None = None,
    attachments: Iterable[Attachment] = (),
    sensitive: bool = False,
    status: str = DeliveryStatus.QUEUED,
    reason: str = "",
    platform: bool = False,
) -> tuple[OutboundEmail, bool]:
    """Write one mail to one recipient in the current transaction and tenant (`platform=True`:
    mail of the platform host, which has none -- e.g. a platform admin's password reset). A
    QUEUED row is
    delivered by a worker once the transaction commits; a rolled-back change sends nothing. Any
    other status (skipped, unsubscribed; sent for a record of mail sent elsewhere, e.g. the demo) is
    only logged. With an idempotency key, a second call
    returns the first row and False."""
    if kind not in MAIL_KINDS:
        raise ImproperlyConfigured(f"Unknown mail kind {kind!r}: declare it with mail_kind().")
    if status == DeliveryStatus.SENDING:
        raise ValueError("A new mail cannot start as SENDING.")
    tenant = get_current_tenant()
    if tenant is None and not platform:
        # Fail closed: mail written outside a tenant by mistake would be nobody's to see.
        raise TenantNotSetError("email_enqueue needs the current tenant (or platform=True).")
    rows = OutboundEmail.objects.unscoped().filter(tenant=tenant)
    if idempotency_key:
        existing = rows.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing, False
    row = OutboundEmail(
        tenant=tenant,
        kind=kind,
        partner_uuid=partner_uuid,
        source_uuid=source_uuid,
        idempotency_key=idempotency_key or None,
        recipient_email=to,
        recipient=recipient,
        from_email=program_from_address(tenant),
        reply_to=reply_to,
        subject=" ".join(str(subject).split())[:300],
        body_text=body_text,
        body_html=body_html,
        headers=headers or {},
        attachments=[a.as_json() for a in attachments],
        sensitive=sensitive,
        status=status,
        reason=reason[:300],
        next_attempt_at=outbox.initial_next_attempt(status),
    )
    try:
        with transaction.atomic():
            # NOTE: platform mail has no tenant, which TenantOwnedModel.save() refuses by design;
            # bulk_create writes the row as given.
            OutboundEmail.objects.unscoped().bulk_create([row])
    except IntegrityError:  # the same key written concurrently: the other writer's row stands
        return rows.get(idempotency_key=idempotency_key), False
    if status == DeliveryStatus.QUEUED:
        _deliver_after_commit(row.pk)
    return row, True


def emails_withdraw(*, kind: str, source_uuid: UUID, reason: str) -> int:
    """Mail about `source_uuid` that is no longer true (e.g. a seat confirmation after the
    cancellation): rows not yet handed to SMTP become SKIPPED, and no delivery will claim them.
    A row already SENDING or SENT is beyond recall. Returns how many were withdrawn."""
    return OutboundEmail.objects.filter(
        kind=kind, source_uuid=source_uuid, status__in=outbox.PENDING_STATUSES
    ).update(status=DeliveryStatus.SKIPPED, next_attempt_at=None, reason=reason[:300])


def email_enqueue_message(
    message: EmailMultiAlternatives, *, kind: str, sensitive: bool = False, **fields
) -> list[OutboundEmail]:
    """Queue a Django message built elsewhere (e.g. by allauth): one row per recipient."""
    html = ""
    for content, mimetype in getattr(message, "alternatives", []) or []:
        if mimetype == "text/html":
            html = content
    if getattr(message, "content_subtype", "plain") == "html" and not html:
        html, text = message.body, ""
    else:
        text = message.body
    reply_to = ", ".join(message.reply_to or [])
    rows = []
    for to in list(message.to) + list(message.cc) + list(message.bcc):
        row, _created = email_enqueue(
            kind=kind,
            to=to,
            subject=message.subject,
            body_text=text,
            body_html=html,
            reply_to=reply_to,
            sensitive=sensitive,
            **fields,
        )
        rows.append(row)
    return rows


def _deliver_after_commit(email_id: int) -> None:
    from .tasks import deliver_email

    # robust: a broker that is down at commit must not turn the committed change into an error;
    # the sweep finds the queued row later (next_attempt_at). Eager tasks (unit tests) deliver
    # right here, and their errors must surface, not be logged away.
    transaction.on_commit(
        lambda: deliver_email.delay(email_id=email_id),
        robust=not deliver_email.app.conf.task_always_eager,
    )


# --- Delivering (the worker) -------------------------------------------------------------------


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
    for item in row.attachments or []:
        message.attach(
            item["filename"], base64.b64decode(item["content_b64"]), item.get("mimetype")
        )
    return message


def _send(row: OutboundEmail) -> None:
    _message(row).send(fail_silently=False)


def email_deliver(*, email_id: int) -> str | None:
    """Hand one mail to SMTP, at most once (the body of `deliver_email`; outside a transaction)."""
    row = OutboundEmail.objects.unscoped().select_related("tenant").filter(pk=email_id).first()
    if row is None:
        return None
    if row.tenant is not None and not row.tenant.is_active and row.status == DeliveryStatus.QUEUED:
        OutboundEmail.objects.unscoped().filter(pk=row.pk, status=DeliveryStatus.QUEUED).update(
            status=DeliveryStatus.SKIPPED,
            next_attempt_at=None,
            reason=_("Not sent: the program is deactivated."),
        )
        return DeliveryStatus.SKIPPED
    return outbox.outbox_deliver(OutboundEmail, email_id, _send, retry_on=RETRY_ON)


def emails_sweep(*, now=None) -> int:
    """The sweep (every minute, all tenants): enqueue the delivery of mail whose retry is due or
    whose first delivery was lost. Never SENDING rows. Returns how many were enqueued."""
    from .tasks import deliver_email

    ids = outbox.outbox_take_due(OutboundEmail, now=now)
    for email_id in ids:
        deliver_email.delay(email_id=email_id)
    return len(ids)


# --- Reading (the mail log) --------------------------------------------------------------------


def emails_for(actor: Actor) -> QuerySet[OutboundEmail]:
    """The mail an actor may see: a program admin all of the tenant's, a channel manager the
    mail about their partners; anyone else none."""
    qs = OutboundEmail.objects.select_related("recipient").order_by("-created_at", "-id")
    if actor.role == Role.PROGRAM_ADMIN:
        return qs
    if actor.role == Role.CHANNEL_MANAGER:
        return qs.filter(partner_uuid__in=list(_managed_partner_uuids(actor)))
    return qs.none()


def emails_filtered(
    qs: QuerySet[OutboundEmail], *, status: str = "", kind: str = "", q: str = ""
) -> QuerySet[OutboundEmail]:
    if status == "problem":
        qs = qs.filter(status__in=outbox.PROBLEM_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    q = q.replace("\x00", "").strip()
    if q:
        qs = qs.filter(Q(recipient_email__icontains=q) | Q(subject__icontains=q))
    return qs


def partner_emails(partner_uuid: UUID) -> QuerySet[OutboundEmail]:
    return OutboundEmail.objects.filter(partner_uuid=partner_uuid).order_by("-created_at", "-id")


def problem_emails(actor: Actor) -> QuerySet[OutboundEmail]:
    return emails_for(actor).filter(status__in=outbox.PROBLEM_STATUSES)


# --- A person's decision on one mail -----------------------------------------------------------


def may_manage_email(actor: Actor, email: OutboundEmail) -> bool:
    if not actor.mfa_satisfied:
        return False
    if actor.role == Role.PROGRAM_ADMIN:
        return True
    if actor.role == Role.CHANNEL_MANAGER and email.partner_uuid is not None:
        return email.partner_uuid in set(_managed_partner_uuids(actor))
    return False


def _require_manage(actor: Actor, email: OutboundEmail) -> None:
    if not may_manage_email(actor, email):
        raise PermissionDenied(_("Only a program admin or the partner's channel manager may."))


@transaction.atomic
def email_send_again(*, actor: Actor, email: OutboundEmail) -> OutboundEmail:
    """Queue an unconfirmed, failed or given-up mail again (a person decided it did not go out)."""
    _require_manage(actor, email)
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if not email.may_send_again:
        raise ValidationError(_("Only unconfirmed or failed mail can be sent again."))
    old = email.status
    outbox.outbox_requeue(email, reason=_("Sent again by %(who)s.") % {"who": actor.label})
    audit_record(
        actor=actor,
        action="mail.send_again",
        target=email,
        changes={"status": [old, DeliveryStatus.QUEUED], "to": email.recipient_email},
    )
    _deliver_after_commit(email.pk)
    return email


@transaction.atomic
def email_mark_sent(*, actor: Actor, email: OutboundEmail) -> OutboundEmail:
    """Record that an unconfirmed mail did go out (e.g. the recipient confirmed receipt)."""
    _require_manage(actor, email)
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if not email.may_mark_sent:
        raise ValidationError(_("Only unconfirmed mail can be marked as sent."))
    email.status = DeliveryStatus.SENT
    email.sent_at = email.sent_at or timezone.now()
    email.next_attempt_at = None
    email.reason = _("Marked as sent by %(who)s.") % {"who": actor.label}
    email.save(update_fields=["status", "sent_at", "next_attempt_at", "reason"])
    audit_record(
        actor=actor,
        action="mail.marked_sent",
        target=email,
        changes={"status": [DeliveryStatus.SENDING, DeliveryStatus.SENT]},
    )
    return email
