"""Fund requests, claims and payouts: the partner asks, reviewers decide, marketing pays.

Money moves only through `ledger.ledger_post`: a submitted request HOLDS its amount (a partner
cannot ask for more than it has available), final approval COMMITS the approved amount and
releases the rest, a claim's approval releases what it does not use, a payout PAYS it. Rejections,
withdrawals and closing an unclaimed request release what was held or committed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from onboarding.models import Benefit
from onboarding.services.progress import require_benefit
from partners.services.currency import convert
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common.currencies import currency_normalize
from tenancy.events import emit
from tenancy.roles import Role
from tenancy.templatetags.ui import money as money_text
from tenancy.uploads import sniff_upload

from ..models import (
    ActivityType,
    Allocation,
    Claim,
    ClaimFile,
    ClaimFileKind,
    ClaimStatus,
    EntryKind,
    FundRequest,
    Payout,
    PayoutMethod,
    RequestEvent,
    RequestStatus,
)
from ..models.requests import HOLDING, OPEN_REVIEW
from . import mail, remittance
from .ledger import ledger_post, to_money

PROOF_KINDS = frozenset({"pdf", "png", "jpg", "docx", "xlsx", "csv"})
MAX_PROOF_BYTES = 20 * 1024 * 1024
MAX_PROOF_FILES = 10
MAX_ACTIVITY_DAYS = 366


class Decision:
    APPROVE = "approve"
    REJECT = "reject"
    CHANGES = "changes"
    ALL = (APPROVE, REJECT, CHANGES)


def _event(fund_request: FundRequest, actor: Actor, action: str, comment: str = "") -> None:
    RequestEvent.objects.create(
        request=fund_request,
        action=action,
        comment=comment,
        by=actor.responsible_user,
        by_label=actor.label,
    )


def _emit(kind: str, fund_request: FundRequest, extra: dict) -> None:
    """A request's domain event (tenancy.events)."""
    partner = fund_request.partner
    emit(
        kind,
        aggregate="mdf_request",
        aggregate_uuid=fund_request.uuid,
        partner_uuid=partner.uuid,
        data={
            "request": str(fund_request.uuid),
            "partner": str(partner.uuid),
            "title": fund_request.title,
            "activity_type": fund_request.activity_type,
            "amount": str(fund_request.amount),
            "currency": fund_request.currency,
            **extra,
        },
    )


def _locked(fund_request: FundRequest) -> FundRequest:
    return (
        FundRequest.objects.select_for_update(of=("self",))
        .select_related("allocation__fund", "partner__channel_manager", "submitted_by")
        .get(pk=fund_request.pk)
    )


# --- Who may -----------------------------------------------------------------------------------


def may_request(actor: Actor, partner) -> bool:
    return actor.has(Perm.MDF_REQUEST) and actor.partner_organization_id == partner.pk


def may_decide(actor: Actor, fund_request: FundRequest) -> bool:
    """The step's reviewer: the channel manager of the partner (program admins and marketing
    too) while it awaits the manager; marketing or a program admin while it awaits marketing."""
    if not actor.has(Perm.MDF_DECIDE) or fund_request.status not in OPEN_REVIEW:
        return False
    if fund_request.status == RequestStatus.MARKETING_REVIEW:
        return actor.role in (Role.MARKETING, Role.PROGRAM_ADMIN)
    if actor.role == Role.CHANNEL_MANAGER:
        return actor.user is not None and fund_request.partner.channel_manager_id == actor.user.pk
    if actor.role == Role.MARKETING:
        # Marketing's step comes after the manager's (it steps in only for unmanaged partners).
        return fund_request.partner.channel_manager_id is None
    return True


def may_review_claim(actor: Actor, claim: Claim) -> bool:
    if not actor.has(Perm.MDF_DECIDE) or claim.status != ClaimStatus.SUBMITTED:
        return False
    if actor.role == Role.CHANNEL_MANAGER:
        return actor.user is not None and claim.partner.channel_manager_id == actor.user.pk
    return True


def may_pay(actor: Actor, claim: Claim) -> bool:
    return actor.has(Perm.MDF_MANAGE) and claim.status == ClaimStatus.APPROVED


# --- Requests ------------------------------------------------------------------------------------


def _clean_request(fields: dict, allocation: Allocation) -> dict:
    errors: dict[str, str] = {}
    fund = allocation.fund
    title = (fields.get("title") or "").strip()
    if not title:
        errors["title"] = _("Name the activity.")
    if fields.get("activity_type") not in ActivityType.values:
        errors["activity_type"] = _("Choose the type of activity.")
    starts, ends = fields.get("starts_on"), fields.get("ends_on")
    if not isinstance(starts, date):
        errors["starts_on"] = _("Enter the date the activity starts.")
    elif not fund.starts_on <= starts <= fund.ends_on:
        errors["starts_on"] = _("%(fund)s pays for activities starting %(start)s to %(end)s.") % {
            "fund": fund.name,
            "start": starts_text(fund.starts_on),
            "end": starts_text(fund.ends_on),
        }
    if not isinstance(ends, date):
        errors["ends_on"] = _("Enter the date the activity ends.")
    elif isinstance(starts, date) and ends < starts:
        errors["ends_on"] = _("The activity ends before it starts.")
    elif isinstance(starts, date) and (ends - starts).days > MAX_ACTIVITY_DAYS:
        errors["ends_on"] = _("An activity lasts at most a year: split longer ones.")
    if not (fields.get("description") or "").strip():
        errors["description"] = _("Say what you will do and for whom.")
    try:
        amount = to_money(fields.get("amount"))
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
        amount = None
    try:
        pipeline = to_money(
            fields.get("expected_pipeline") or 0, field="expected_pipeline", allow_zero=True
        )
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
        pipeline = None
    leads = fields.get("expected_leads") or 0
    if not isinstance(leads, int) or leads < 0:
        errors["expected_leads"] = _("Enter a whole number of leads, 0 or more.")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title[:200],
        "activity_type": fields["activity_type"],
        "starts_on": starts,
        "ends_on": ends,
        "description": fields["description"].strip(),
        "amount": amount,
        "expected_pipeline": pipeline,
        "expected_leads": leads,
    }


def starts_text(day: date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "DATE_FORMAT")


@transaction.atomic
def request_submit(*, actor: Actor, allocation: Allocation, **fields) -> FundRequest:
    """A partner asks for funds from its allocation; the amount is held until the request is
    decided (refused when more than is available)."""
    access.require(actor, Perm.MDF_REQUEST)
    if not may_request(actor, allocation.partner):
        raise PermissionDenied(_("You may request funds only for your own organisation."))
    require_benefit(actor, Benefit.MDF)
    allocation = Allocation.objects.select_related("fund", "partner__channel_manager").get(
        pk=allocation.pk
    )
    if hasattr(allocation.fund, "carried_to"):
        raise ValidationError(_("This fund's period is closed."))
    clean = _clean_request(fields, allocation)
    fund_request = FundRequest.objects.create(
        allocation=allocation,
        partner=allocation.partner,
        currency=allocation.fund.currency,
        status=RequestStatus.MANAGER_REVIEW,
        submitted_by=actor.responsible_user,
        **clean,
    )
    ledger_post(
        allocation=allocation,
        kind=EntryKind.HELD,
        amount=clean["amount"],
        actor=actor,
        request=fund_request,
    )
    _event(fund_request, actor, "submitted")
    audit_record(
        actor=actor,
        action="mdf.request_submitted",
        target=fund_request,
        changes={"amount": f"{clean['amount']} {fund_request.currency}"},
    )
    mail.mdf_notify(
        template="request_submitted",
        subject=_("MDF request from %(partner)s: %(title)s")
        % {"partner": fund_request.partner.name, "title": fund_request.title},
        users=mail.reviewers_of(fund_request, marketing=False),
        fund_request=fund_request,
        console=True,
    )
    return fund_request


@transaction.atomic
def request_resubmit(*, actor: Actor, fund_request: FundRequest, **fields) -> FundRequest:
    """The partner answers "changes requested": new details, a new amount (the difference is held
    or released), back to the channel manager."""
    fund_request = _locked(fund_request)
    if not may_request(actor, fund_request.partner):
        raise PermissionDenied(_("You may change only your own organisation's requests."))
    if fund_request.status != RequestStatus.CHANGES_REQUESTED:
        raise ValidationError(_("Only a request with changes requested can be resubmitted."))
    allocation = fund_request.allocation
    clean = _clean_request(fields, allocation)
    delta = clean["amount"] - fund_request.amount
    if delta > 0:
        ledger_post(
            allocation=allocation,
            kind=EntryKind.HELD,
            amount=delta,
            actor=actor,
            request=fund_request,
        )
    elif delta < 0:
        ledger_post(
            allocation=allocation,
            kind=EntryKind.RELEASED,
            amount=-delta,
            actor=actor,
            released_from="held",
            request=fund_request,
            note=_("Request lowered"),
        )
    for name, value in clean.items():
        setattr(fund_request, name, value)
    fund_request.status = RequestStatus.MANAGER_REVIEW
    fund_request.approved_amount = None
    fund_request.updated_at = timezone.now()
    fund_request.save()
    _event(fund_request, actor, "resubmitted", fields.get("comment", "") or "")
    mail.mdf_notify(
        template="request_submitted",
        subject=_("MDF request changed by %(partner)s: %(title)s")
        % {"partner": fund_request.partner.name, "title": fund_request.title},
        users=mail.reviewers_of(fund_request, marketing=False),
        fund_request=fund_request,
        console=True,
        resubmitted=True,
    )
    return fund_request


def _release(fund_request: FundRequest, actor: Actor, amount: Decimal, source: str, note: str):
    if amount > 0:
        ledger_post(
            allocation=fund_request.allocation,
            kind=EntryKind.RELEASED,
            amount=amount,
            actor=actor,
            released_from=source,
            request=fund_request,
            note=note,
        )


@transaction.atomic
def request_decide(
    *,
    actor: Actor,
    fund_request: FundRequest,
    decision: str,
    comment: str = "",
    amount=None,
) -> FundRequest:
    """Approve (all or part of the amount), reject or ask for changes, with a comment (required
    unless approving in full). The channel manager's approval of a request above the fund's
    marketing threshold sends it on to marketing; the last approval commits the funds."""
    fund_request = _locked(fund_request)
    access.require(actor, Perm.MDF_DECIDE)
    if not may_decide(actor, fund_request):
        if fund_request.status not in OPEN_REVIEW:
            raise ValidationError(_("This request is not awaiting a decision."))
        raise PermissionDenied(_("This request awaits another reviewer."))
    if decision not in Decision.ALL:
        raise ValidationError({"decision": _("Choose approve, reject or ask for changes.")})
    comment = (comment or "").strip()
    fund = fund_request.allocation.fund
    approved = fund_request.approved_amount or fund_request.amount
    if decision == Decision.APPROVE and amount not in (None, ""):
        approved = to_money(amount)
        if approved > fund_request.amount:
            raise ValidationError(
                {
                    "amount": _("Approve at most the %(amount)s requested.")
                    % {"amount": money_text(fund_request.amount, fund_request.currency)}
                }
            )
    if decision != Decision.APPROVE and not comment:
        raise ValidationError({"comment": _("Tell the partner why.")})
    if decision == Decision.APPROVE and approved < fund_request.amount and not comment:
        raise ValidationError({"comment": _("Tell the partner why less is approved.")})
    now = timezone.now()
    stage = fund_request.status
    if decision == Decision.REJECT:
        _release(fund_request, actor, fund_request.amount, "held", _("Request rejected"))
        fund_request.status = RequestStatus.REJECTED
        fund_request.decided_at = now
    elif decision == Decision.CHANGES:
        fund_request.status = RequestStatus.CHANGES_REQUESTED
    elif (
        stage == RequestStatus.MANAGER_REVIEW
        and fund.marketing_threshold is not None
        and approved > fund.marketing_threshold
    ):
        fund_request.status = RequestStatus.MARKETING_REVIEW
        fund_request.approved_amount = approved
    else:
        ledger_post(
            allocation=fund_request.allocation,
            kind=EntryKind.COMMITTED,
            amount=approved,
            actor=actor,
            request=fund_request,
        )
        _release(
            fund_request,
            actor,
            fund_request.amount - approved,
            "held",
            _("Approved for less than requested"),
        )
        fund_request.status = RequestStatus.APPROVED
        fund_request.approved_amount = approved
        fund_request.claim_deadline = fund_request.ends_on + timedelta(days=fund.claim_days)
        fund_request.decided_at = now
    fund_request.updated_at = now
    fund_request.save()
    action = {
        Decision.REJECT: "rejected",
        Decision.CHANGES: "changes_requested",
    }.get(
        decision,
        "forwarded" if fund_request.status == RequestStatus.MARKETING_REVIEW else "approved",
    )
    _event(fund_request, actor, action, comment)
    if action == "approved":
        _emit("mdf.request_approved", fund_request, {"approved_amount": str(approved)})
    audit_record(
        actor=actor,
        action=f"mdf.request_{action}",
        target=fund_request,
        changes={
            "request_status": fund_request.status,
            "amount": f"{approved} {fund_request.currency}",
        }
        if decision == Decision.APPROVE
        else {"request_status": fund_request.status},
    )
    if fund_request.status == RequestStatus.MARKETING_REVIEW:
        mail.mdf_notify(
            template="request_submitted",
            subject=_("MDF request to approve: %(title)s (%(partner)s)")
            % {"partner": fund_request.partner.name, "title": fund_request.title},
            users=mail.reviewers_of(fund_request, marketing=True),
            fund_request=fund_request,
            console=True,
            forwarded=True,
        )
    else:
        subjects = {
            RequestStatus.APPROVED: _("MDF request approved: %(title)s"),
            RequestStatus.REJECTED: _("MDF request not approved: %(title)s"),
            RequestStatus.CHANGES_REQUESTED: _("MDF request: changes requested for %(title)s"),
        }
        mail.mdf_notify(
            template="request_decided",
            subject=subjects[fund_request.status] % {"title": fund_request.title},
            users=mail.partner_people(fund_request),
            fund_request=fund_request,
            console=False,
            comment=comment,
        )
    return fund_request


@transaction.atomic
def request_withdraw(*, actor: Actor, fund_request: FundRequest, comment: str = "") -> FundRequest:
    """The partner withdraws a request not yet claimed: what it held or committed is released."""
    fund_request = _locked(fund_request)
    if not may_request(actor, fund_request.partner):
        raise PermissionDenied(_("You may withdraw only your own organisation's requests."))
    if Claim.objects.filter(request=fund_request).exists():
        raise ValidationError(_("This request has a claim; it can no longer be withdrawn."))
    if fund_request.status in HOLDING:
        _release(fund_request, actor, fund_request.amount, "held", _("Request withdrawn"))
    elif fund_request.status == RequestStatus.APPROVED:
        _release(
            fund_request, actor, fund_request.approved_amount, "committed", _("Request withdrawn")
        )
    else:
        raise ValidationError(_("This request can no longer be withdrawn."))
    fund_request.status = RequestStatus.WITHDRAWN
    fund_request.updated_at = timezone.now()
    fund_request.save()
    _event(fund_request, actor, "withdrawn", comment)
    audit_record(actor=actor, action="mdf.request_withdrawn", target=fund_request)
    return fund_request


@transaction.atomic
def request_close(*, actor: Actor, fund_request: FundRequest, comment: str) -> FundRequest:
    """A reviewer closes an approved request that was never claimed (e.g. long past its claim
    deadline): the committed funds go back to the partner's balance."""
    fund_request = _locked(fund_request)
    access.require(actor, Perm.MDF_DECIDE)
    if actor.role == Role.CHANNEL_MANAGER and (
        actor.user is None or fund_request.partner.channel_manager_id != actor.user.pk
    ):
        raise PermissionDenied(_("This request belongs to another manager's partner."))
    if fund_request.status != RequestStatus.APPROVED:
        raise ValidationError(_("Only an approved request without a claim can be closed."))
    if not (comment or "").strip():
        raise ValidationError({"comment": _("Tell the partner why.")})
    _release(fund_request, actor, fund_request.approved_amount, "committed", _("Closed unclaimed"))
    fund_request.status = RequestStatus.CLOSED
    fund_request.updated_at = fund_request.decided_at = timezone.now()
    fund_request.save()
    _event(fund_request, actor, "closed", comment.strip())
    audit_record(actor=actor, action="mdf.request_closed", target=fund_request)
    return fund_request


# --- Claims --------------------------------------------------------------------------------------


def _clean_claim(fund_request: FundRequest, fields: dict) -> dict:
    errors: dict[str, str] = {}
    try:
        currency = currency_normalize(fields.get("spent_currency") or fund_request.currency)
    except ValidationError as error:  # an unknown code: the field's error, with the others
        errors["spent_currency"] = error.messages[0]
        currency = ""
    try:
        spent = to_money(fields.get("spent"), field="spent")
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
        spent = None
    try:
        pipeline = to_money(fields.get("pipeline") or 0, field="pipeline", allow_zero=True)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
        pipeline = None
    leads = fields.get("leads") or 0
    if not isinstance(leads, int) or leads < 0:
        errors["leads"] = _("Enter a whole number of leads, 0 or more.")
    if errors:
        raise ValidationError(errors)
    amount = convert(spent, currency, fund_request.currency)
    if amount is None:
        raise ValidationError(
            {
                "spent_currency": _(
                    "There is no exchange rate for %(currency)s; claim in %(fund)s or ask the "
                    "program team to add the rate."
                )
                % {"currency": currency, "fund": fund_request.currency}
            }
        )
    if amount > fund_request.approved_amount:
        spent_words = money_text(spent, currency)
        if currency != fund_request.currency:
            spent_words += f" ({money_text(amount, fund_request.currency)})"
        raise ValidationError(
            {
                "spent": _(
                    "The claim of %(spent)s is more than the %(approved)s approved. A claim cannot "
                    "exceed the approved amount: claim at most that, or ask your channel manager "
                    "to approve a larger request first."
                )
                % {
                    "spent": spent_words,
                    "approved": money_text(fund_request.approved_amount, fund_request.currency),
                }
            }
        )
    return {
        "spent": spent,
        "spent_currency": currency,
        "amount": amount,
        "leads": leads,
        "pipeline": pipeline,
        "notes": (fields.get("notes") or "").strip(),
    }


def _store_proofs(claim: Claim, actor: Actor, files) -> None:
    # Every file is checked before any is stored: a bad third file leaves nothing on disk.
    checked = []
    for kind, upload in files:
        if kind not in ClaimFileKind.values:
            raise ValidationError({"files": _("Choose what each file shows.")})
        sniffed = sniff_upload(
            upload,
            allowed=PROOF_KINDS,
            max_bytes=MAX_PROOF_BYTES,
            field="files",
            message=_("Attach PDF, PNG, JPEG, Word, Excel or CSV files."),
        )
        checked.append((kind, upload, sniffed))
    for kind, upload, sniffed in checked:
        proof = ClaimFile(
            claim=claim,
            kind=kind,
            original_name=(getattr(upload, "name", "") or f"proof.{sniffed.ext}").rsplit("/", 1)[
                -1
            ][:200],
            content_type=sniffed.mime,
            size=sniffed.size,
            uploaded_by=actor.responsible_user,
            tenant=claim.tenant,
        )
        proof.file.save(f"proof.{sniffed.ext}", upload, save=False)
        proof.save()


@transaction.atomic
def claim_submit(*, actor: Actor, fund_request: FundRequest, files=(), **fields) -> Claim:
    """The partner claims an approved request: what it spent (at most the approved amount, in
    any currency with a rate), the results, and proof of performance (at least one file). A
    claim after the claim deadline is accepted and flagged late. A claim sent back for changes
    is resubmitted through this too (new figures, more files)."""
    fund_request = _locked(fund_request)
    if not may_request(actor, fund_request.partner):
        raise PermissionDenied(_("You may claim only your own organisation's requests."))
    files = list(files)
    existing = Claim.objects.filter(request=fund_request).first()
    if existing is not None and existing.status != ClaimStatus.CHANGES_REQUESTED:
        raise ValidationError(_("This request has been claimed already."))
    if existing is None and fund_request.status != RequestStatus.APPROVED:
        raise ValidationError(_("Only an approved request can be claimed."))
    if len(files) > MAX_PROOF_FILES:
        raise ValidationError({"files": _("Attach at most %(n)d files.") % {"n": MAX_PROOF_FILES}})
    clean = _clean_claim(fund_request, fields)
    if existing is None and not files:
        raise ValidationError(
            {"files": _("Attach proof of performance: an invoice, photos or an attendee list.")}
        )
    late = timezone.localdate() > fund_request.claim_deadline
    if existing is None:
        claim = Claim.objects.create(
            request=fund_request,
            partner=fund_request.partner,
            status=ClaimStatus.SUBMITTED,
            is_late=late,
            submitted_by=actor.responsible_user,
            **clean,
        )
    else:
        claim = existing
        for name, value in clean.items():
            setattr(claim, name, value)
        claim.status = ClaimStatus.SUBMITTED
        claim.submitted_at = timezone.now()
        claim.save()
    _store_proofs(claim, actor, files)
    fund_request.status = RequestStatus.CLAIMED
    fund_request.updated_at = timezone.now()
    fund_request.save(update_fields=["status", "updated_at"])
    _event(
        fund_request,
        actor,
        "claim_submitted" if existing is None else "claim_resubmitted",
        clean["notes"],
    )
    audit_record(
        actor=actor,
        action="mdf.claim_submitted",
        target=claim,
        changes={"amount": f"{claim.amount} {fund_request.currency}", "is_late": late},
    )
    mail.mdf_notify(
        template="claim_submitted",
        subject=(
            _("Late MDF claim from %(partner)s: %(title)s")
            if late
            else _("MDF claim from %(partner)s: %(title)s")
        )
        % {"partner": fund_request.partner.name, "title": fund_request.title},
        users=mail.reviewers_of(fund_request, marketing=False),
        fund_request=fund_request,
        console=True,
        claim=claim,
    )
    return claim


def _locked_claim(claim: Claim) -> Claim:
    return (
        Claim.objects.select_for_update(of=("self",))
        .select_related("request__allocation__fund", "partner__channel_manager")
        .get(pk=claim.pk)
    )


@transaction.atomic
def claim_decide(
    *, actor: Actor, claim: Claim, decision: str, comment: str = "", amount=None
) -> Claim:
    """Approve the claim (all or part: the rest of the commitment is released), reject it (the
    whole commitment is released) or send it back for changes; a comment says why."""
    claim = _locked_claim(claim)
    access.require(actor, Perm.MDF_DECIDE)
    if not may_review_claim(actor, claim):
        if claim.status != ClaimStatus.SUBMITTED:
            raise ValidationError(_("This claim is not awaiting review."))
        raise PermissionDenied(_("This claim belongs to another manager's partner."))
    if decision not in Decision.ALL:
        raise ValidationError({"decision": _("Choose approve, reject or ask for changes.")})
    comment = (comment or "").strip()
    fund_request = claim.request
    approved = claim.amount
    if decision == Decision.APPROVE and amount not in (None, ""):
        approved = to_money(amount)
        if approved > claim.amount:
            raise ValidationError(
                {
                    "amount": _("Approve at most the %(amount)s claimed.")
                    % {"amount": money_text(claim.amount, fund_request.currency)}
                }
            )
    if decision != Decision.APPROVE and not comment:
        raise ValidationError({"comment": _("Tell the partner why.")})
    if decision == Decision.APPROVE and approved < claim.amount and not comment:
        raise ValidationError({"comment": _("Tell the partner why less is approved.")})
    now = timezone.now()
    if decision == Decision.APPROVE:
        _release(
            fund_request,
            actor,
            fund_request.approved_amount - approved,
            "committed",
            _("Claimed less than approved"),
        )
        claim.status = ClaimStatus.APPROVED
        claim.approved_amount = approved
        claim.decided_at = now
        action = "claim_approved"
    elif decision == Decision.REJECT:
        _release(
            fund_request, actor, fund_request.approved_amount, "committed", _("Claim rejected")
        )
        claim.status = ClaimStatus.REJECTED
        claim.decided_at = now
        fund_request.status = RequestStatus.CLOSED
        fund_request.decided_at = now
        action = "claim_rejected"
    else:
        claim.status = ClaimStatus.CHANGES_REQUESTED
        fund_request.status = RequestStatus.APPROVED
        action = "claim_changes_requested"
    claim.save()
    fund_request.updated_at = now
    fund_request.save()
    _event(fund_request, actor, action, comment)
    audit_record(
        actor=actor,
        action=f"mdf.{action}",
        target=claim,
        changes={"amount": f"{approved} {fund_request.currency}"}
        if decision == Decision.APPROVE
        else {},
    )
    subjects = {
        ClaimStatus.APPROVED: _("MDF claim approved: %(title)s"),
        ClaimStatus.REJECTED: _("MDF claim not approved: %(title)s"),
        ClaimStatus.CHANGES_REQUESTED: _("MDF claim: changes requested for %(title)s"),
    }
    mail.mdf_notify(
        template="claim_decided",
        subject=subjects[claim.status] % {"title": fund_request.title},
        users=mail.partner_people(fund_request),
        fund_request=fund_request,
        console=False,
        claim=claim,
        comment=comment,
    )
    return claim


@transaction.atomic
def payout_record(
    *, actor: Actor, claim: Claim, method: str, reference: str, paid_on: date
) -> Payout:
    """Record the payment of an approved claim (method, reference, date): the funds move from
    committed to paid, the request is complete, and the partner gets the remittance advice."""
    claim = _locked_claim(claim)
    access.require(actor, Perm.MDF_MANAGE)
    if claim.status != ClaimStatus.APPROVED:
        raise ValidationError(_("Only an approved claim can be paid."))
    errors = {}
    if method not in PayoutMethod.values:
        errors["method"] = _("Choose how it was paid.")
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = _("Enter the payment's reference (e.g. the transfer number).")
    if not isinstance(paid_on, date):
        errors["paid_on"] = _("Enter the date it was paid.")
    elif paid_on > timezone.localdate():
        errors["paid_on"] = _("The payment date cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    fund_request = claim.request
    ledger_post(
        allocation=fund_request.allocation,
        kind=EntryKind.PAID,
        amount=claim.approved_amount,
        actor=actor,
        request=fund_request,
        claim=claim,
        note=reference[:120],
    )
    payout = Payout.objects.create(
        claim=claim,
        partner=claim.partner,
        amount=claim.approved_amount,
        currency=fund_request.currency,
        method=method,
        reference=reference[:120],
        paid_on=paid_on,
        recorded_by=actor.responsible_user,
    )
    claim.status = ClaimStatus.PAID
    claim.save(update_fields=["status"])
    fund_request.status = RequestStatus.COMPLETED
    fund_request.updated_at = timezone.now()
    fund_request.save(update_fields=["status", "updated_at"])
    _event(fund_request, actor, "paid", reference)
    _emit(
        "mdf.claim_paid",
        fund_request,
        {
            "claim": str(claim.uuid),
            "payout": str(payout.uuid),
            "paid_amount": str(payout.amount),
            "method": method,
            "reference": payout.reference,
            "paid_on": paid_on.isoformat(),
        },
    )
    remittance.store_after_commit(payout)
    audit_record(
        actor=actor,
        action="mdf.payout_recorded",
        target=payout,
        changes={"amount": f"{payout.amount} {payout.currency}", "method": method},
    )
    mail.mdf_notify(
        template="payout",
        subject=_("MDF payment sent: %(title)s") % {"title": fund_request.title},
        users=mail.partner_people(fund_request),
        fund_request=fund_request,
        console=False,
        payout=payout,
    )
    return payout
