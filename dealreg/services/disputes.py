"""Disputes over an account: raised by direct sales, a channel manager, a program admin or the
partner whose registration is in question; commented by the participants; decided by a program
admin, with the outcome's effect on the lock and the account applied here."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant

from ..models import (
    CustomerAccount,
    DealRegistration,
    DealStatus,
    Dispute,
    DisputeComment,
    DisputeOutcome,
    DisputeStatus,
)
from ..selectors.locks import active_lock
from .routing import deal_mail_queue
from .transitions import transition

MAX_TEXT = 5000


def _is_partner_participant(actor: Actor, dispute: Dispute) -> bool:
    registration = dispute.registration
    return (
        actor.is_partner
        and registration is not None
        and registration.partner_id == actor.partner_organization_id
        and (actor.has(Perm.DISPUTES_RAISE) or actor.has(Perm.DEALS_REGISTER))
    )


def may_comment(actor: Actor, dispute: Dispute) -> bool:
    """Program admins, and the participants: who raised it, the account's direct owner, the
    partner's channel manager, and users of the partner whose registration is in question."""
    if actor.has(Perm.DISPUTES_DECIDE):
        return True
    if _is_partner_participant(actor, dispute):
        return True
    if not actor.has(Perm.DISPUTES_RAISE) or actor.is_partner or actor.user is None:
        return False
    user_id = actor.user.pk
    registration = dispute.registration
    return user_id in {
        dispute.raised_by_id,
        dispute.account.owner_id,
        registration.partner.channel_manager_id if registration is not None else None,
    }


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: message})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: _("Keep it under %(n)s characters.") % {"n": MAX_TEXT}})
    return value


@transaction.atomic
def dispute_raise(
    *,
    actor: Actor,
    account: CustomerAccount,
    reason: str,
    registration: DealRegistration | None = None,
) -> Dispute:
    access.require(actor, Perm.DISPUTES_RAISE)
    if registration is None:
        registration = active_lock(account)
    if registration is not None and registration.account_id != account.pk:
        raise ValidationError({"registration": _("That registration is for another account.")})
    if actor.is_partner and (
        registration is None or registration.partner_id != actor.partner_organization_id
    ):
        raise PermissionDenied(_("Partners raise disputes only about their own registrations."))
    reason = _text(reason, "reason", _("Say what is in dispute."))
    dispute = Dispute.objects.create(
        tenant=require_current_tenant(),
        account=account,
        registration=registration,
        raised_by=actor.user,
        reason=reason,
    )
    audit_record(
        actor=actor,
        action="dispute.raised",
        target=dispute,
        changes={
            "account": account.name,
            "registration": str(registration.uuid) if registration else None,
        },
    )
    _notify(dispute, actor, "raised")
    return dispute


@transaction.atomic
def dispute_comment(*, actor: Actor, dispute: Dispute, body: str) -> DisputeComment:
    if not may_comment(actor, dispute):
        raise PermissionDenied(_("Only the dispute's participants may comment."))
    body = _text(body, "body", _("Write a comment."))
    comment = DisputeComment.objects.create(
        tenant=require_current_tenant(),
        dispute=dispute,
        author=actor.responsible_user,
        api_key=actor.api_key,
        body=body,
    )
    audit_record(actor=actor, action="dispute.commented", target=dispute, changes={})
    _notify(dispute, actor, "comment", comment=comment)
    return comment


@transaction.atomic
def dispute_decide(*, actor: Actor, dispute: Dispute, outcome: str, note: str) -> Dispute:
    """Record the outcome and apply it: `lock_released` and `direct_keeps` expire the approved
    registration (the lock goes; with `direct_keeps` the direct owner stays), `partner_awarded`
    clears the account's direct owner, `lock_upheld` changes nothing."""
    access.require(actor, Perm.DISPUTES_DECIDE)
    dispute = Dispute.objects.select_for_update().select_related("account").get(pk=dispute.pk)
    if dispute.status != DisputeStatus.OPEN:
        raise ValidationError(_("This dispute is already decided."))
    if outcome not in DisputeOutcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    note = _text(note, "note", _("Explain the decision."))
    effects: dict[str, object] = {}
    if outcome in (DisputeOutcome.LOCK_RELEASED, DisputeOutcome.DIRECT_KEEPS):
        registration = _lock_of(dispute)
        if registration is not None:
            transition(
                registration=registration,
                to_status=DealStatus.EXPIRED,
                actor=actor,
                note=note,
                action="lock_released",
            )
            effects["expired_registration"] = str(registration.uuid)
    elif outcome == DisputeOutcome.PARTNER_AWARDED:
        account = CustomerAccount.objects.select_for_update().get(pk=dispute.account_id)
        if account.owner_id is not None:
            effects["owner_cleared"] = account.owner.email if account.owner else None
            account.owner = None
            account.claimed_at = None
            account.save(update_fields=["owner", "claimed_at"])
    dispute.status = DisputeStatus.DECIDED
    dispute.outcome = outcome
    dispute.decision_note = note
    dispute.decided_by = actor.responsible_user
    dispute.decided_at = timezone.now()
    dispute.save(update_fields=["status", "outcome", "decision_note", "decided_by", "decided_at"])
    audit_record(
        actor=actor,
        action="dispute.decided",
        target=dispute,
        changes={"outcome": outcome, "note": note, **effects},
    )
    _notify(dispute, actor, "decided")
    return dispute


def _lock_of(dispute: Dispute) -> DealRegistration | None:
    """The approved registration the decision acts on: the disputed one while it still holds the
    lock, else whatever holds the account now."""
    qs = DealRegistration.objects.select_for_update()
    if dispute.registration_id is not None:
        registration = qs.filter(pk=dispute.registration_id, status=DealStatus.APPROVED).first()
        if registration is not None:
            return registration
    lock = active_lock(dispute.account)
    return qs.get(pk=lock.pk) if lock is not None else None


# --- Email ----------------------------------------------------------------------------------


def participant_emails(dispute: Dispute) -> set[str]:
    """Who hears about a dispute: who raised it, the direct owner, the registration's submitter
    and the partner's channel manager."""
    emails = set()
    registration = dispute.registration
    people = [dispute.raised_by, dispute.account.owner]
    if registration is not None:
        people += [registration.submitted_by, registration.partner.channel_manager]
    for person in people:
        if person is not None and person.email:
            emails.add(person.email.lower())
    return emails


def _notify(dispute: Dispute, actor: Actor, event: str, comment=None) -> None:
    actor_email = (actor.user.email.lower() if actor.user else "") or None
    recipients = sorted(participant_emails(dispute) - {actor_email})
    if not recipients:
        return
    tenant = require_current_tenant()
    context = {"dispute": dispute, "tenant": tenant, "event": event, "comment": comment}
    subjects = {
        "raised": _("A dispute was raised over %(account)s"),
        "comment": _("New comment on the dispute over %(account)s"),
        "decided": _("The dispute over %(account)s is decided"),
    }
    subject = subjects[event] % {"account": dispute.account.name}
    # Written into the mail outbox with the dispute change: an SMTP failure never fails (or
    # half-commits) the request; the worker delivers and retries.
    deal_mail_queue(
        template="dispute_update",
        subject=subject,
        to=recipients,
        context=context,
        registration=dispute.registration,
        source_uuid=dispute.uuid,
    )
