"""Approving and rejecting registrations. Approval takes the account's lock: the database
constraint `deal_one_lock_per_account` makes sure two approvals racing for one account cannot
both commit; the loser gets a clear ValidationError."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm

from ..models import CustomerAccount, DealRegistration, DealStatus
from ..models.registrations import PENDING_STATUSES
from .conflicts import conflicts_refresh
from .direct import direct_owner_notify
from .transitions import transition

LOCKED_MESSAGE = _("This account is already locked by another registration.")


class AccountLocked(ValidationError):
    """Approval refused: another registration holds the account."""

    def __init__(self):
        super().__init__(LOCKED_MESSAGE, code="account_locked")


def may_decide(actor: Actor, registration: DealRegistration) -> bool:
    """Program admins decide any registration; a channel manager those of their partners (or
    routed to them)."""
    if not actor.has(Perm.DEALS_DECIDE):
        return False
    if access.may_manage_partner(actor, registration.partner):
        return True
    return actor.user is not None and registration.assigned_to_id == actor.user.pk


def _require_decider(actor: Actor, registration: DealRegistration) -> None:
    access.require(actor, Perm.DEALS_DECIDE)
    if not may_decide(actor, registration):
        raise PermissionDenied(_("You do not decide registrations of this partner."))


def _locked(registration: DealRegistration) -> DealRegistration:
    return (
        DealRegistration.objects.select_for_update(of=("self",))
        .select_related("partner", "account")
        .get(pk=registration.pk)
    )


def _require_pending(deal: DealRegistration) -> None:
    if deal.status not in PENDING_STATUSES:
        raise ValidationError(
            {
                "status": _("This registration is %(status)s: there is nothing to decide.")
                % {"status": deal.get_status_display().lower()}
            }
        )


def _lifetime_days() -> int:
    from .rules import deal_rules

    return deal_rules().lifetime_days or 90


def approve_locked(
    *, actor: Actor, deal: DealRegistration, reason: str = "", auto: bool = False
) -> DealRegistration:
    """Approve a registration already locked by the caller (no permission check here)."""
    _require_pending(deal)
    if deal.account_id is None:
        raise ValidationError(_("This registration has no customer account yet."))
    # Serialise approvals of one account: the second waits here, then sees the first's lock.
    CustomerAccount.objects.select_for_update().filter(pk=deal.account_id).first()
    conflicts_refresh(deal)
    holder = (
        DealRegistration.objects.filter(account_id=deal.account_id, status=DealStatus.APPROVED)
        .exclude(pk=deal.pk)
        .first()
    )
    if holder is not None:
        raise AccountLocked
    now = timezone.now()
    deal.approved_at = now
    deal.expires_at = now + timedelta(days=_lifetime_days())
    deal.decided_at = now
    deal.decided_by = actor.user
    deal.decision_reason = reason.strip()
    deal.auto_approved = auto
    try:
        with transaction.atomic():  # a savepoint: the constraint's error must not poison the txn
            transition(
                registration=deal,
                to_status=DealStatus.APPROVED,
                actor=actor,
                note=deal.decision_reason,
                action="auto_approved" if auto else "approved",
                update_fields=(
                    "approved_at",
                    "expires_at",
                    "decided_at",
                    "decided_by",
                    "decision_reason",
                    "auto_approved",
                ),
            )
    except IntegrityError as error:
        deal.status = DealStatus.SUBMITTED
        raise AccountLocked from error
    _email_decision(deal)
    direct_owner_notify(deal=deal, event="locked")
    return deal


def deal_approve(
    *, actor: Actor, registration: DealRegistration, reason: str = ""
) -> DealRegistration:
    """Approve: the partner holds the account for the rules' lifetime. Conflicts are detected
    again; refused (AccountLocked) when another registration already holds the account — the
    refreshed conflicts are kept so the approver sees who."""
    _require_decider(actor, registration)
    try:
        with transaction.atomic():
            deal = _locked(registration)
            return approve_locked(actor=actor, deal=deal, reason=reason)
    except AccountLocked:
        with transaction.atomic():
            conflicts_refresh(DealRegistration.objects.get(pk=registration.pk))
        raise


@transaction.atomic
def deal_reject(*, actor: Actor, registration: DealRegistration, reason: str) -> DealRegistration:
    """Reject with a reason the partner reads."""
    _require_decider(actor, registration)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the registration is rejected.")})
    deal = _locked(registration)
    _require_pending(deal)
    deal.decided_at = timezone.now()
    deal.decided_by = actor.user
    deal.decision_reason = reason
    transition(
        registration=deal,
        to_status=DealStatus.REJECTED,
        actor=actor,
        note=reason,
        update_fields=("decided_at", "decided_by", "decision_reason"),
    )
    _email_decision(deal)
    return deal


@transaction.atomic
def deal_start_review(*, actor: Actor, registration: DealRegistration) -> DealRegistration:
    """A decider opens a submitted registration: it moves to "under review" (once)."""
    if not may_decide(actor, registration):
        return registration
    deal = _locked(registration)
    if deal.status != DealStatus.SUBMITTED:
        return deal
    return transition(registration=deal, to_status=DealStatus.UNDER_REVIEW, actor=actor)


def _email_decision(deal: DealRegistration) -> None:
    """Write the decision mail to the partner's submitter into the outbox (same transaction)."""
    from .routing import deal_mail_queue, deal_url

    recipient = deal.submitted_by.email if deal.submitted_by else ""
    if not recipient:
        return
    approved = deal.status == DealStatus.APPROVED
    if approved:
        subject = _("Deal registration approved: %(customer)s") % {"customer": deal.customer_name}
    else:
        subject = _("Deal registration rejected: %(customer)s") % {"customer": deal.customer_name}
    deal_mail_queue(
        template="decision",
        subject=subject,
        to=[recipient],
        context={"deal": deal, "approved": approved, "url": deal_url(deal, console=False)},
    )
