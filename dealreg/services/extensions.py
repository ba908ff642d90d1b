"""Extensions of an approved registration's lock: the partner asks (with a reason), the approver
approves (the lock runs `extension_days` longer) or rejects (with a reason); the partner is told.

At most `max_extensions` per registration, and one open request at a time (the database
constraint `extension_one_pending` is the backstop for two requests racing)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.roles import Role

from ..models import DealRegistration, DealStatus, ExtensionRequest, ExtensionStatus
from .routing import approver_emails, deal_mail_queue, deal_url, partner_emails
from .rules import deal_rules
from .transitions import event_record, when_text

MAX_REASON = 2000


def may_decide(actor: Actor, registration: DealRegistration) -> bool:
    """Approve/reject for this registration: program admins any; a channel manager for the
    partners they manage, or the registration routed to them."""
    if not actor.has(Perm.DEALS_DECIDE):
        return False
    if actor.role == Role.PROGRAM_ADMIN:
        return True
    user_id = actor.user.pk if actor.user is not None else None
    return user_id is not None and user_id in (
        registration.partner.channel_manager_id,
        registration.assigned_to_id,
    )


def _reason(reason: str, *, required_message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": required_message})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": _("Keep the reason under 2000 characters.")})
    return reason


@transaction.atomic
def extension_request(*, actor: Actor, registration: DealRegistration, reason: str):
    access.require(actor, Perm.DEALS_REGISTER)
    if actor.partner_organization_id is None or (
        actor.partner_organization_id != registration.partner_id
    ):
        raise PermissionDenied(_("Only the registering partner may ask for an extension."))
    reason = _reason(reason, required_message=_("Say why the deal needs more time."))
    registration = (
        DealRegistration.objects.select_for_update(of=("self",))
        .select_related("partner", "assigned_to", "submitted_by")
        .get(pk=registration.pk)
    )
    if registration.status != DealStatus.APPROVED:
        raise ValidationError(_("Only an approved registration can be extended."))
    rules = deal_rules()
    if registration.extensions_used >= rules.max_extensions:
        raise ValidationError(
            _("This registration has used all %(n)s extensions allowed.")
            % {"n": rules.max_extensions}
        )
    if ExtensionRequest.objects.filter(
        registration=registration, status=ExtensionStatus.PENDING
    ).exists():
        raise ValidationError(_("An extension request is already waiting for a decision."))
    try:
        with transaction.atomic():
            extension = ExtensionRequest.objects.create(
                tenant=require_current_tenant(),
                registration=registration,
                requested_by=actor.user,
                reason=reason,
            )
    except IntegrityError as exc:  # a concurrent request won the race
        raise ValidationError(_("An extension request is already waiting for a decision.")) from exc
    event_record(registration=registration, action="extension_requested", actor=actor, note=reason)
    audit_record(
        actor=actor,
        action="deal.extension_requested",
        target=registration,
        changes={"reason": reason},
    )
    deal_mail_queue(
        template="extension_requested",
        subject=_("Extension requested: deal registration for %(customer)s")
        % {"customer": registration.customer_name},
        to=_decider_emails(registration),
        context={
            "deal": registration,
            "extension": extension,
            "url": deal_url(registration, console=True),
        },
    )
    return extension


def _decider_emails(registration: DealRegistration) -> list[str]:
    """Who decides: the registration's approver, else the partner's channel manager, else the
    program admins."""
    manager = registration.partner.channel_manager
    if registration.assigned_to_id is None and manager is not None and manager.is_active:
        return [manager.email]
    return approver_emails(registration)


def _lock_for_decision(actor: Actor, extension: ExtensionRequest):
    # Registration first, then the request: the same order as extension_request (no deadlock).
    registration = (
        DealRegistration.objects.select_for_update(of=("self",))
        .select_related("partner", "submitted_by")
        .get(pk=extension.registration_id)
    )
    if not may_decide(actor, registration):
        access.require_mfa(actor)
        raise PermissionDenied(_("You do not decide this partner's registrations."))
    extension = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if extension.status != ExtensionStatus.PENDING:
        raise ValidationError(_("This extension request has already been decided."))
    return registration, extension


@transaction.atomic
def extension_approve(*, actor: Actor, extension: ExtensionRequest, reason: str = ""):
    registration, extension = _lock_for_decision(actor, extension)
    if registration.status != DealStatus.APPROVED:
        raise ValidationError(_("Only an approved registration can be extended."))
    rules = deal_rules()
    if registration.extensions_used >= rules.max_extensions:
        raise ValidationError(
            _("This registration has used all %(n)s extensions allowed.")
            % {"n": rules.max_extensions}
        )
    now = timezone.now()
    before = registration.expires_at
    registration.expires_at = max(before or now, now) + timedelta(days=rules.extension_days)
    registration.extensions_used += 1
    registration.expiry_warned_at = None
    registration.save(update_fields=["expires_at", "extensions_used", "expiry_warned_at"])
    extension.status = ExtensionStatus.APPROVED
    extension.decided_by = actor.user
    extension.decided_at = now
    extension.decision_reason = (reason or "").strip()[:MAX_REASON]
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    note = _("Lock extended to %(at)s.") % {"at": when_text(registration.expires_at)}
    event_record(registration=registration, action="extended", actor=actor, note=note)
    audit_record(
        actor=actor,
        action="deal.extended",
        target=registration,
        changes={
            "expires_at": [
                before.isoformat() if before else None,
                registration.expires_at.isoformat(),
            ],
            "extensions_used": registration.extensions_used,
        },
    )
    _tell_partner(registration, extension)
    return extension


@transaction.atomic
def extension_reject(*, actor: Actor, extension: ExtensionRequest, reason: str):
    reason = _reason(reason, required_message=_("Tell the partner why."))
    registration, extension = _lock_for_decision(actor, extension)
    extension.status = ExtensionStatus.REJECTED
    extension.decided_by = actor.user
    extension.decided_at = timezone.now()
    extension.decision_reason = reason
    extension.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    event_record(registration=registration, action="extension_rejected", actor=actor, note=reason)
    audit_record(
        actor=actor,
        action="deal.extension_rejected",
        target=registration,
        changes={"reason": reason},
    )
    _tell_partner(registration, extension)
    return extension


def _tell_partner(registration: DealRegistration, extension: ExtensionRequest) -> None:
    approved = extension.status == ExtensionStatus.APPROVED
    subject = (
        _("Extension approved: your registration for %(customer)s")
        if approved
        else _("Extension declined: your registration for %(customer)s")
    ) % {"customer": registration.customer_name}
    deal_mail_queue(
        template="extension_decided",
        subject=subject,
        to=partner_emails(registration, extension.requested_by),
        context={
            "deal": registration,
            "extension": extension,
            "approved": approved,
            "url": deal_url(registration, console=False),
        },
    )
