"""The partner pipeline: list with filters (and CSV of the filtered list), board by status; won /
lost from the portal; the managers' pipeline form in the console. Thin."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import page_window
from tenancy.common.spreadsheets import csv_safe
from tenancy.views import apply_errors

from ..forms.pipeline import OutcomeForm, PipelineForm
from ..models import DealStatus, SalesStage
from ..selectors import pipeline as selectors
from ..selectors.registration import deals_for
from ..services.outcomes import deal_outcome, may_close
from ..services.pipeline import deal_pipeline_update
from .decisions import console_detail_page, portal_detail_page

PAGE_SIZE = 50
CSV_COLUMNS = (
    ("customer", "customer_name"),
    ("domain", "customer_domain"),
    ("partner", "partner.name"),
    ("status", "status"),
    ("sla", "sla"),
    ("stage", "sales_stage"),
    ("next_step", "next_step"),
    ("manager_notes", "manager_notes"),
    ("estimated_value", "estimated_value"),
    ("currency", "currency"),
    ("expected_close_date", "expected_close_date"),
    ("submitted_at", "submitted_at"),
    ("lock_expires_at", "expires_at"),
)


def _attr(obj, dotted: str):
    for part in dotted.split("."):
        obj = getattr(obj, part, None)
    return obj


def _filters_context(filters):
    return {
        "filters": filters,
        "status_choices": DealStatus.choices,
        "stage_choices": SalesStage.choices,
    }


@login_required
@require_GET
def portal_deals(request):
    actor = access.require_portal(request, Perm.DEALS_VIEW)
    filters = selectors.PipelineFilters.from_params(request.GET)
    if request.GET.get("format") == "csv":
        return _csv(selectors.pipeline_for(actor, filters))
    page = page_window(request, selectors.pipeline_page(actor, filters), PAGE_SIZE)
    context = {
        "page": page,
        "deals": selectors.with_sla(page.object_list),
        "can_register": actor.has(Perm.DEALS_REGISTER),
        "query": request.GET.urlencode(),
        **_filters_context(filters),
    }
    if request.htmx:
        return render(request, "dealreg/pipeline/_list.html", context)
    return render(request, "dealreg/pipeline/list.html", context)


def _csv(deals):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="deal-pipeline-{stamp}.csv"'
    writer = csv.writer(response)
    writer.writerow([name for name, _attr_name in CSV_COLUMNS])
    for deal in selectors.with_sla(deals[: selectors.CSV_MAX_ROWS]):
        writer.writerow([csv_safe(_attr(deal, attr)) for _name, attr in CSV_COLUMNS])
    return response


@login_required
@require_GET
def portal_deal_board(request):
    actor = access.require_portal(request, Perm.DEALS_VIEW)
    filters = selectors.PipelineFilters.from_params(request.GET)
    context = {"columns": selectors.board(actor, filters), **_filters_context(filters)}
    return render(request, "dealreg/pipeline/board.html", context)


@login_required
@require_POST
def portal_deal_outcome(request, deal_uuid):
    actor = access.require_portal(request, Perm.DEALS_VIEW)
    deal = get_object_or_404(deals_for(actor), uuid=deal_uuid)
    if not may_close(actor, deal):
        raise PermissionDenied(_("You may not close this registration."))
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            deal_outcome(actor=actor, registration=deal, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
    if form.errors:
        # Field errors beside the fields, the typed values kept; nothing saved.
        deal = get_object_or_404(deals_for(actor), uuid=deal_uuid)  # as stored
        return portal_detail_page(request, actor, deal, outcome_form=form, status=400)
    else:
        messages.success(
            request,
            _("%(customer)s marked %(outcome)s.")
            % {
                "customer": deal.customer_name,
                "outcome": DealStatus(form.cleaned_data["outcome"]).label.lower(),
            },
        )
    return redirect("portal_deal_detail", deal_uuid=deal.uuid)


@login_required
@require_POST
def console_deal_pipeline(request, deal_uuid):
    actor = access.require_console(request, Perm.DEALS_DECIDE)
    deal = get_object_or_404(deals_for(actor), uuid=deal_uuid)
    form = PipelineForm(request.POST)
    if form.is_valid():
        try:
            deal_pipeline_update(actor=actor, registration=deal, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
    if form.errors:
        # The registration's page again, the errors beside the fields and the input kept.
        return console_detail_page(request, actor, deal_uuid, pipeline_form=form)
    messages.success(request, _("Pipeline updated."))
    # Back to the page the form sits on (the registration's console page), if it is ours.
    back = request.POST.get("next", "")
    if back.startswith("/console/") and "//" not in back:
        return redirect(back)
    return redirect("console_deals")
