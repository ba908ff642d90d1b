"""The approver's pages (queue, registration detail with conflicts side by side, approve/reject)
and the partner's registration detail (status, SLA, lock expiry, a conflict warning without
names). Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from ..forms.decisions import DecisionForm
from ..forms.disputes import DisputeRaiseForm
from ..forms.pipeline import OutcomeForm, PipelineForm
from ..models import DealRegistration, DealStatus
from ..selectors import queue as selectors
from ..selectors.registration import deals_for
from ..services import decisions as services
from ..services import registration as registration_services
from ..services.conflicts import partner_conflict_summary
from ..services.outcomes import may_close
from ..services.rules import deal_rules

PAGE_SIZE = 50


def _sla(deals, rules=None):
    """Attach `sla` (helper E's SlaState) to each registration of a page; one rules query."""
    from ..services.rules import deal_rules
    from ..services.sla import sla_state

    rules = rules or deal_rules()
    for deal in deals:
        deal.sla = sla_state(deal, rules=rules)
    return deals


@login_required
@require_GET
def console_deal_queue(request):
    actor = access.require_console(request, Perm.DEALS_DECIDE)
    page = Paginator(selectors.queue_for(actor), PAGE_SIZE).get_page(request.GET.get("page"))
    deals = _sla(list(page.object_list))
    return render(request, "dealreg/decisions/queue.html", {"page": page, "deals": deals})


def _console_deal(actor, deal_uuid) -> DealRegistration:
    try:
        return selectors.deal_detail_for(actor, deal_uuid)
    except DealRegistration.DoesNotExist as missing:
        raise Http404 from missing


def _render_console_detail(request, actor, deal, form=None, status=200, pipeline_form=None):
    _sla([deal])
    can_decide = services.may_decide(actor, deal)
    context = {
        "deal": deal,
        "conflicts": selectors.conflict_rows(deal),
        "events": deal.events.all(),
        "can_decide": can_decide,
        "form": form or DecisionForm(),
        # The manager keeps the partner's pipeline current (stage, next step, notes).
        "pipeline_form": pipeline_form
        or PipelineForm(
            initial={
                "sales_stage": deal.sales_stage,
                "next_step": deal.next_step,
                "manager_notes": deal.manager_notes,
            }
        )
        if can_decide
        else None,
    }
    return render(request, "dealreg/decisions/console_detail.html", context, status=status)


@login_required
@require_GET
def console_deal_detail(request, deal_uuid):
    actor = access.require_console(request, Perm.DEALS_VIEW)
    deal = _console_deal(actor, deal_uuid)
    if deal.status == DealStatus.SUBMITTED and services.may_decide(actor, deal):
        # The decider opened it: the partner sees "under review" from now on.
        services.deal_start_review(actor=actor, registration=deal)
        deal = _console_deal(actor, deal_uuid)
    return _render_console_detail(request, actor, deal)


@login_required
@require_POST
def console_deal_decide(request, deal_uuid, decision):
    actor = access.require_console(request, Perm.DEALS_DECIDE)
    deal = _console_deal(actor, deal_uuid)
    form = DecisionForm(request.POST)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if decision == "approve":
                services.deal_approve(actor=actor, registration=deal, reason=reason)
                messages.success(request, _("Registration approved: the account is locked."))
            else:
                services.deal_reject(actor=actor, registration=deal, reason=reason)
                messages.success(request, _("Registration rejected."))
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return redirect("console_deal_detail", deal_uuid=deal.uuid)
    deal = _console_deal(actor, deal_uuid)
    return _render_console_detail(request, actor, deal, form=form, status=400)


@login_required
@require_GET
def portal_deal_detail(request, deal_uuid):
    actor = access.require_portal(request, Perm.DEALS_VIEW)
    deal = deals_for(actor).filter(uuid=deal_uuid).first()
    if deal is None:
        raise Http404
    return portal_detail_page(request, actor, deal)


def console_detail_page(request, actor, deal_uuid, *, pipeline_form, status=400):
    """The registration's console page with a bound pipeline form (its errors beside its fields)."""
    deal = _console_deal(actor, deal_uuid)
    return _render_console_detail(request, actor, deal, status=status, pipeline_form=pipeline_form)


def portal_detail_page(request, actor, deal, *, outcome_form=None, dispute_form=None, status=200):
    """The partner's registration page; with a bound `outcome_form` or `dispute_form` its field
    errors show beside the fields and the typed values stay (status 400)."""
    _sla([deal])
    approved = deal.status == DealStatus.APPROVED
    context = {
        "deal": deal,
        "conflict": partner_conflict_summary(deal),
        "can_submit": deal.status == DealStatus.DRAFT and actor.has(Perm.DEALS_REGISTER),
        # An approved (locked) deal: report it won or lost, or ask for more time.
        "can_close": approved and may_close(actor, deal),
        "outcome_form": outcome_form or OutcomeForm(),
        "can_extend": approved
        and actor.has(Perm.DEALS_REGISTER)
        and deal.extensions_used < deal_rules().max_extensions,
        "can_dispute": actor.has(Perm.DISPUTES_RAISE)
        and deal.account_id is not None
        and deal.status != DealStatus.DRAFT,
        "dispute_form": dispute_form or DisputeRaiseForm(),
    }
    return render(request, "dealreg/decisions/portal_detail.html", context, status=status)


@login_required
@require_POST
def portal_deal_submit(request, deal_uuid):
    actor = access.require_portal(request, Perm.DEALS_REGISTER)
    deal = deals_for(actor).filter(uuid=deal_uuid).first()
    if deal is None:
        raise Http404
    try:
        deal = registration_services.deal_submit(actor=actor, registration=deal)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Registration submitted."))
        # The detail page shows the possible-conflict warning: once, not also as a flash.
    return redirect("portal_deal_detail", deal_uuid=deal.uuid)
