"""MDF pages. Portal: the partner's balance and chart, its requests, a request's page (claim,
resubmit, withdraw, files, remittance). Console: the MDF board, requests (list, decide, claims,
payouts), funds and allocations, the payouts list with its accounting CSV. Thin: one access
check, one selector or service call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from onboarding.models import Benefit
from onboarding.services.progress import benefit_status
from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors

from . import selectors
from .forms import (
    AllocationForm,
    CarryOverForm,
    ClaimForm,
    CommentForm,
    DecisionForm,
    FundForm,
    PayoutFilter,
    PayoutForm,
    RequestFilter,
    RequestForm,
)
from .models import ClaimStatus, Fund, RequestStatus
from .models.requests import HOLDING
from .services import ledger, remittance
from .services import requests as services

REQUEST_SORTS = {
    "submitted": ("submitted_at", "id"),
    "partner": ("partner__name", "submitted_at"),
    "amount": ("amount", "submitted_at"),
    "starts": ("starts_on", "submitted_at"),
    "status": ("status", "submitted_at"),
}
REQUEST_COLUMNS = [
    Column(_lazy("Activity"), "title"),
    Column(_lazy("Partner"), "partner.name"),
    Column(_lazy("Fund"), "allocation.fund.name"),
    Column(_lazy("Type"), "get_activity_type_display"),
    Column(_lazy("Starts on"), "starts_on"),
    Column(_lazy("Ends on"), "ends_on"),
    Column(_lazy("Amount requested"), "amount"),
    Column(_lazy("Amount approved"), "approved_amount"),
    Column(_lazy("Currency"), "currency"),
    Column(_lazy("Status"), "get_status_display"),
    Column(_lazy("Submitted"), "submitted_at"),
    Column(_lazy("Claim by"), "claim_deadline"),
]
PAYOUT_SORTS = {"paid": ("paid_on", "id"), "partner": ("partner__name", "paid_on")}
PAYOUT_COLUMNS = [
    Column(_lazy("Paid on"), "paid_on"),
    Column(_lazy("Partner"), "partner.name"),
    Column(_lazy("Activity"), "claim.request.title"),
    Column(_lazy("Fund"), "claim.request.allocation.fund.name"),
    Column(_lazy("Amount"), "amount"),
    Column(_lazy("Currency"), "currency"),
    Column(_lazy("Method"), "get_method_display"),
    Column(_lazy("Reference"), "reference"),
    Column(_lazy("Payout ID"), "uuid"),
]


def _requests_listing(request, actor, *, lean: bool = False):
    """The requests list; `lean`: the portal's rows, which show no partner, fund or claim (the
    CSV export still reads them)."""
    exporting = request.GET.get("format") == "csv"
    return list_page(
        request,
        selectors.request_rows(actor) if lean and not exporting else selectors.requests_for(actor),
        filterset_class=RequestFilter,
        sorts=REQUEST_SORTS,
        default_sort="-submitted",
        columns=REQUEST_COLUMNS,
        filename="mdf-requests",
        page_size=25,
    )


# --- Portal ----------------------------------------------------------------------------------


@login_required
def portal_mdf(request):
    actor = access.require_portal(request, Perm.MDF_VIEW)
    allocations = list(selectors.partner_allocations(actor))
    chosen = allocations[0] if allocations else None
    wanted = request.GET.get("fund")
    if wanted:
        chosen = next((a for a in allocations if str(a.fund.uuid) == wanted), chosen)
    listing = _requests_listing(request, actor, lean=True)
    if listing.export is not None:
        return listing.export
    context = {
        "listing": listing,
        "allocations": allocations,
        "allocation": chosen,
        "chart": selectors.balance_chart(chosen) if chosen else None,
        "may_request": actor.has(Perm.MDF_REQUEST) and any(a.is_open for a in allocations),
        "gate": benefit_status(actor, Benefit.MDF),
    }
    if request.htmx and request.GET.get("fragment") == "list":
        return render(request, "mdf/_portal_request_list.html", context)
    return render(request, "mdf/portal_mdf.html", context)


@login_required
def portal_mdf_request_new(request):
    actor = access.require_portal(request, Perm.MDF_REQUEST)
    allocations = selectors.open_allocations(actor)
    form = RequestForm(request.POST or None, allocations=allocations)
    gate = benefit_status(actor, Benefit.MDF)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            allocation = data.pop("allocation")
            try:
                fund_request = services.request_submit(actor=actor, allocation=allocation, **data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Request sent to your channel manager."))
                return redirect("portal_mdf_request", request_uuid=fund_request.uuid)
    context = {"form": form, "gate": gate, "has_allocation": allocations.exists()}
    return render(request, "mdf/portal_request_new.html", context, status=status)


@login_required
def portal_mdf_request(request, request_uuid):
    actor = access.require_portal(request, Perm.MDF_VIEW)
    fund_request = selectors.request_detail(actor, request_uuid)
    if fund_request is None:
        raise Http404
    claim = getattr(fund_request, "claim", None)
    may_act = services.may_request(actor, fund_request.partner)
    claim_form = resubmit_form = None
    if may_act and (
        (fund_request.status == RequestStatus.APPROVED and claim is None)
        or (claim is not None and claim.status == ClaimStatus.CHANGES_REQUESTED)
    ):
        claim_form = ClaimForm(currency=fund_request.currency, initial=_claim_initial(claim))
    if may_act and fund_request.status == RequestStatus.CHANGES_REQUESTED:
        resubmit_form = RequestForm.for_request(fund_request)
    status = 200
    if request.method == "POST":
        if not may_act:
            raise PermissionDenied(_("Your role does not allow this."))
        action = request.POST.get("action")
        status = 400
        try:
            if action == "claim" and claim_form is not None:
                claim_form = ClaimForm(request.POST, request.FILES, currency=fund_request.currency)
                if claim_form.is_valid():
                    services.claim_submit(
                        actor=actor, fund_request=fund_request, **claim_form.service_fields()
                    )
                    messages.success(request, _("Claim sent for review."))
                    return redirect("portal_mdf_request", request_uuid=fund_request.uuid)
            elif action == "resubmit" and resubmit_form is not None:
                resubmit_form = RequestForm.for_request(fund_request, request.POST)
                if resubmit_form.is_valid():
                    services.request_resubmit(
                        actor=actor, fund_request=fund_request, **resubmit_form.cleaned_data
                    )
                    messages.success(request, _("Request sent again."))
                    return redirect("portal_mdf_request", request_uuid=fund_request.uuid)
            elif action == "withdraw":
                services.request_withdraw(actor=actor, fund_request=fund_request)
                messages.success(
                    request, _("Request withdrawn; the funds are back in your balance.")
                )
                return redirect("portal_mdf_request", request_uuid=fund_request.uuid)
            else:
                raise ValidationError(_("This action is not available for this request."))
        except ValidationError as error:
            target = claim_form if action == "claim" else resubmit_form
            if target is None:
                messages.error(request, " ".join(error.messages))
                return redirect("portal_mdf_request", request_uuid=fund_request.uuid)
            apply_errors(target, error)
    context = {
        "fund_request": fund_request,
        "claim": claim,
        "claim_form": claim_form,
        "resubmit_form": resubmit_form,
        "may_read_proofs": actor.has(Perm.MDF_REQUEST) or actor.has(Perm.MDF_DECIDE),
        "may_withdraw": may_act
        and claim is None
        and fund_request.status in (*HOLDING, RequestStatus.APPROVED),
    }
    return render(request, "mdf/portal_request.html", context, status=status)


def _claim_initial(claim) -> dict:
    if claim is None:
        return {}
    return {
        "spent": claim.spent,
        "spent_currency": claim.spent_currency,
        "leads": claim.leads,
        "pipeline": claim.pipeline,
        "notes": claim.notes,
    }


@login_required
def mdf_proof_download(request, file_uuid):
    actor = access.require_tenant(request)
    access.require_any(actor, Perm.MDF_REQUEST, Perm.MDF_DECIDE)
    proof = selectors.proof_file(actor, file_uuid)
    if proof is None:
        raise Http404
    return stored_file_response(
        proof.file, filename=proof.original_name, content_type=proof.content_type
    )


@login_required
def mdf_remittance_download(request, payout_uuid):
    actor = access.require_tenant(request)
    access.require(actor, Perm.MDF_VIEW)
    payout = selectors.payout_for(actor, payout_uuid)
    if payout is None:
        raise Http404
    remittance.remittance_store(payout)
    return stored_file_response(
        payout.remittance_file,
        filename=f"remittance-{payout.reference}.pdf",
        content_type="application/pdf",
        sha256=payout.remittance_sha256,
    )


# --- Console ---------------------------------------------------------------------------------


@login_required
def console_mdf(request):
    actor = access.require_console(request, Perm.MDF_VIEW)
    funds = list(selectors.funds_with_totals()[:8])
    decides = actor.has(Perm.MDF_DECIDE)
    # Read-only roles (executives) see what waits on anyone; deciders what waits on them.
    awaiting = selectors.awaiting_me(actor) if decides else selectors.awaiting_anyone(actor)
    claims = (
        selectors.claims_awaiting_me(actor) if decides else selectors.claims_awaiting_anyone(actor)
    )
    context = {
        "funds": funds,
        "decides": decides,
        "chart": selectors.spend_chart(list(reversed(funds))),
        "awaiting": list(awaiting[:20]),
        "claims": list(claims[:20]),
        "to_pay": list(selectors.claims_to_pay(actor)[:20]),
        "ages": selectors.pending_by_age(actor),
        "can_manage": actor.has(Perm.MDF_MANAGE),
    }
    return render(request, "mdf/console_board.html", context)


@login_required
def console_mdf_requests(request):
    actor = access.require_console(request, Perm.MDF_VIEW)
    listing = _requests_listing(request, actor)
    if listing.export is not None:
        return listing.export
    if request.htmx:
        return render(request, "mdf/_console_request_list.html", {"listing": listing})
    return render(request, "mdf/console_requests.html", {"listing": listing})


@login_required
def console_mdf_request(request, request_uuid):
    actor = access.require_console(request, Perm.MDF_VIEW)
    fund_request = selectors.request_detail(actor, request_uuid)
    if fund_request is None:
        raise Http404
    claim = getattr(fund_request, "claim", None)
    decision_form = DecisionForm() if services.may_decide(actor, fund_request) else None
    claim_form = (
        DecisionForm(for_claim=True)
        if claim is not None and services.may_review_claim(actor, claim)
        else None
    )
    payout_form = PayoutForm() if claim is not None and services.may_pay(actor, claim) else None
    close_form = (
        CommentForm()
        if fund_request.status == RequestStatus.APPROVED and actor.has(Perm.MDF_DECIDE)
        else None
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        access.require_any(actor, Perm.MDF_DECIDE, Perm.MDF_MANAGE)
        status = 400
        try:
            if action == "decide":
                decision_form = DecisionForm(request.POST)
                if decision_form.is_valid():
                    services.request_decide(
                        actor=actor, fund_request=fund_request, **decision_form.cleaned_data
                    )
                    messages.success(request, _("Decision recorded."))
                    return redirect("console_mdf_request", request_uuid=fund_request.uuid)
            elif action == "claim" and claim is not None:
                claim_form = DecisionForm(request.POST, for_claim=True)
                if claim_form.is_valid():
                    services.claim_decide(actor=actor, claim=claim, **claim_form.cleaned_data)
                    messages.success(request, _("Claim decision recorded."))
                    return redirect("console_mdf_request", request_uuid=fund_request.uuid)
            elif action == "pay" and claim is not None:
                payout_form = PayoutForm(request.POST)
                if payout_form.is_valid():
                    services.payout_record(actor=actor, claim=claim, **payout_form.cleaned_data)
                    messages.success(request, _("Payout recorded; the partner was told."))
                    return redirect("console_mdf_request", request_uuid=fund_request.uuid)
            elif action == "close":
                close_form = CommentForm(request.POST)
                if close_form.is_valid():
                    services.request_close(
                        actor=actor, fund_request=fund_request, **close_form.cleaned_data
                    )
                    messages.success(request, _("Request closed; the funds are released."))
                    return redirect("console_mdf_request", request_uuid=fund_request.uuid)
            else:
                raise ValidationError(_("This action is not available for this request."))
        except ValidationError as error:
            target = {
                "decide": decision_form,
                "claim": claim_form,
                "pay": payout_form,
                "close": close_form,
            }.get(action)
            if target is None:
                messages.error(request, " ".join(error.messages))
                return redirect("console_mdf_request", request_uuid=fund_request.uuid)
            apply_errors(target, error)
    context = {
        "fund_request": fund_request,
        "claim": claim,
        "decision_form": decision_form,
        "claim_form": claim_form,
        "payout_form": payout_form,
        "close_form": close_form,
        # Proof files: the partner and the people who review or pay its claims (not read-only
        # roles: an executive sees that there are files, not their content).
        "may_read_proofs": actor.has(Perm.MDF_DECIDE),
    }
    return render(request, "mdf/console_request.html", context, status=status)


@login_required
def console_mdf_funds(request):
    actor = access.require_console(request, Perm.MDF_VIEW)
    can_manage = actor.has(Perm.MDF_MANAGE)
    form = FundForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.MDF_MANAGE)
        form = FundForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                fund = ledger.fund_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Fund created. Allocate it to partners next."))
                return redirect("console_mdf_fund", fund_uuid=fund.uuid)
    context = {"funds": selectors.funds_with_totals(), "form": form, "can_manage": can_manage}
    return render(request, "mdf/console_funds.html", context, status=status)


ALLOCATION_SORTS = {
    "partner": ("partner__name",),
    "allocated": ("allocated", "partner__name"),
    "available": ("available", "partner__name"),
    "paid": ("paid", "partner__name"),
}
ALLOCATION_COLUMNS = [
    Column(_lazy("Partner"), "partner.name"),
    Column(_lazy("Basis"), "get_basis_display"),
    Column(_lazy("How it was computed"), "basis_note"),
    Column(_lazy("Allocated"), "allocated"),
    Column(_lazy("Requested"), "held"),
    Column(_lazy("Committed"), "committed"),
    Column(_lazy("Paid"), "paid"),
    Column(_lazy("Carried over"), "carried_out"),
    Column(_lazy("Available"), "available"),
]


@login_required
def console_mdf_fund(request, fund_uuid):
    actor = access.require_console(request, Perm.MDF_VIEW)
    fund = get_object_or_404(selectors.funds_with_totals(), uuid=fund_uuid)
    can_manage = actor.has(Perm.MDF_MANAGE)
    forms = {
        "update": FundForm.for_fund(fund) if can_manage else None,
        "allocate": AllocationForm() if can_manage else None,
        "carry": CarryOverForm(fund=fund) if can_manage else None,
    }
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.MDF_MANAGE)
        action = request.POST.get("action")
        status = 400
        try:
            if action == "update":
                forms["update"] = FundForm.for_fund(fund, request.POST)
                if forms["update"].is_valid():
                    data = dict(forms["update"].cleaned_data)
                    data.pop("period", None)
                    ledger.fund_update(actor=actor, fund=fund, **data)
                    messages.success(request, _("Fund saved."))
                    return redirect("console_mdf_fund", fund_uuid=fund.uuid)
            elif action == "allocate":
                forms["allocate"] = AllocationForm(request.POST)
                if forms["allocate"].is_valid():
                    ledger.allocation_set(actor=actor, fund=fund, **forms["allocate"].cleaned_data)
                    messages.success(request, _("Allocation saved."))
                    return redirect("console_mdf_fund", fund_uuid=fund.uuid)
            elif action == "run":
                run = ledger.allocations_run(actor=actor, fund=fund)
                messages.success(
                    request,
                    _(
                        "Tier rules applied: %(created)d new, %(changed)d changed, "
                        "%(manual)d set by hand kept."
                    )
                    % {
                        "created": run.created,
                        "changed": run.changed,
                        "manual": run.skipped_manual,
                    },
                )
                return redirect("console_mdf_fund", fund_uuid=fund.uuid)
            elif action == "carry":
                forms["carry"] = CarryOverForm(request.POST, fund=fund)
                if forms["carry"].is_valid():
                    moved = ledger.fund_carry_over(
                        actor=actor, fund=fund, into=forms["carry"].cleaned_data["into"]
                    )
                    messages.success(
                        request,
                        _("Period closed: %(n)d partners carried funds over.") % {"n": moved},
                    )
                    return redirect("console_mdf_fund", fund_uuid=fund.uuid)
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as error:
            target = forms.get(action)
            if target is None:
                messages.error(request, " ".join(error.messages))
                return redirect("console_mdf_fund", fund_uuid=fund.uuid)
            apply_errors(target, error)
    listing = list_page(
        request,
        selectors.fund_allocations(fund),
        sorts=ALLOCATION_SORTS,
        default_sort="partner",
        columns=ALLOCATION_COLUMNS,
        filename=f"mdf-allocations-{fund.name}",
    )
    if listing.export is not None:
        return listing.export
    context = {
        "fund": fund,
        "listing": listing,
        "can_manage": can_manage,
        "closed": Fund.objects.filter(carried_from=fund).first(),
        **{f"{key}_form": value for key, value in forms.items()},
    }
    return render(request, "mdf/console_fund.html", context, status=status)


@login_required
def console_mdf_payouts(request):
    actor = access.require_console(request, Perm.MDF_VIEW)
    listing = list_page(
        request,
        selectors.payouts_for(actor),
        filterset_class=PayoutFilter,
        sorts=PAYOUT_SORTS,
        default_sort="-paid",
        columns=PAYOUT_COLUMNS,
        filename="mdf-payouts",
    )
    if listing.export is not None:
        return listing.export
    return render(request, "mdf/console_payouts.html", {"listing": listing})
