"""Disputes: the console list and page (comments, the decide form), raising one from the account
page; the partner's own disputes in the portal (read and comment). Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.views import apply_errors

from ..forms.disputes import DisputeCommentForm, DisputeDecideForm, DisputeRaiseForm
from ..forms.filters import DisputeFilter
from ..models import DisputeStatus
from ..selectors import lockview as selectors
from ..selectors.registration import deals_for
from ..services import disputes as services
from .decisions import portal_detail_page
from .lockview import account_page, get_account

CONSOLE, PORTAL = "console", "portal"


DISPUTE_SORTS = {
    "account": ("account__name", "-created_at"),
    "raised": "created_at",
    "status": ("status", "-created_at"),
}
DISPUTE_COLUMNS = [
    Column(_l("Account"), "account.name"),
    Column(_l("Domain"), "account.domain"),
    Column(_l("Partner"), "registration.partner.name"),
    Column(_l("What is in dispute"), "reason"),
    Column(_l("Raised"), "created_at"),
    Column(_l("Raised by"), "raised_by.email"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Outcome"), "get_outcome_display"),
    Column(_l("Decided"), "decided_at"),
    Column(_l("Decision note"), "decision_note"),
]


@login_required
@require_GET
def console_disputes(request):
    actor = access.require_console(request, Perm.DEAL_LOCKS_VIEW)
    listing = list_page(
        request,
        selectors.disputes_for(actor),
        filterset_class=DisputeFilter,
        sorts=DISPUTE_SORTS,
        default_sort="-raised",
        columns=DISPUTE_COLUMNS,
        filename="disputes",
    )
    if listing.export is not None:
        return listing.export
    context = {"listing": listing, "disputes": listing.page.object_list, "surface": CONSOLE}
    return render(request, "dealreg/disputes/list.html", context)


@login_required
@require_POST
def console_dispute_raise(request, account_uuid):
    actor = access.require_console(request, Perm.DEAL_LOCKS_VIEW)
    account = get_account(actor, account_uuid)
    access.require(actor, Perm.DISPUTES_RAISE)
    form = DisputeRaiseForm(request.POST)
    if form.is_valid():
        try:
            dispute = services.dispute_raise(actor=actor, account=account, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Dispute raised. The participants are notified."))
            return redirect("console_dispute_detail", dispute_uuid=dispute.uuid)
    return account_page(request, actor, account, raise_form=form, status=400)


def _dispute_page(request, actor, dispute_uuid, surface):
    dispute = get_object_or_404(selectors.disputes_for(actor), uuid=dispute_uuid)
    comment_form = DisputeCommentForm()
    decide_form = DisputeDecideForm()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "comment":
                comment_form = DisputeCommentForm(request.POST)
                if not services.may_comment(actor, dispute):
                    raise PermissionDenied(_("Only the dispute's participants may comment."))
                if comment_form.is_valid():
                    services.dispute_comment(
                        actor=actor, dispute=dispute, body=comment_form.cleaned_data["body"]
                    )
                    messages.success(request, _("Comment added."))
                    return redirect(f"{surface}_dispute_detail", dispute_uuid=dispute.uuid)
            elif action == "decide" and surface == CONSOLE:
                access.require(actor, Perm.DISPUTES_DECIDE)
                decide_form = DisputeDecideForm(request.POST)
                if decide_form.is_valid():
                    services.dispute_decide(
                        actor=actor, dispute=dispute, **decide_form.cleaned_data
                    )
                    messages.success(request, _("Decision recorded."))
                    return redirect(f"{surface}_dispute_detail", dispute_uuid=dispute.uuid)
            else:
                messages.error(request, _("Unknown action."))
        except ValidationError as error:
            apply_errors(decide_form if action == "decide" else comment_form, error)
        status = 400
    context = {
        "dispute": dispute,
        "comments": dispute.comments.select_related("author", "api_key"),
        "surface": surface,
        "base_template": f"{surface}/base.html",
        "can_comment": services.may_comment(actor, dispute),
        "can_decide": surface == CONSOLE
        and actor.has(Perm.DISPUTES_DECIDE)
        and dispute.status == DisputeStatus.OPEN,
        "comment_form": comment_form,
        "decide_form": decide_form,
    }
    return render(request, "dealreg/disputes/detail.html", context, status=status)


@login_required
def console_dispute_detail(request, dispute_uuid):
    return _dispute_page(
        request, access.require_console(request, Perm.DEAL_LOCKS_VIEW), dispute_uuid, CONSOLE
    )


@login_required
@require_GET
def portal_disputes(request):
    actor = access.require_portal(request, Perm.DEALS_VIEW)
    listing = list_page(
        request, selectors.disputes_for(actor), sorts=DISPUTE_SORTS, default_sort="-raised"
    )
    context = {"listing": listing, "disputes": listing.page.object_list, "surface": PORTAL}
    return render(request, "dealreg/disputes/list.html", context)


@login_required
def portal_dispute_detail(request, dispute_uuid):
    return _dispute_page(
        request, access.require_portal(request, Perm.DEALS_VIEW), dispute_uuid, PORTAL
    )


@login_required
@require_POST
def portal_dispute_raise(request, deal_uuid):
    """A partner admin disputes over their own registration's account (e.g. a direct claim)."""
    actor = access.require_portal(request, Perm.DEALS_VIEW)
    deal = get_object_or_404(deals_for(actor).select_related("account"), uuid=deal_uuid)
    access.require(actor, Perm.DISPUTES_RAISE)
    form = DisputeRaiseForm(request.POST)
    if deal.account is None:
        form.add_error(None, _("This registration has no customer account yet."))
    elif form.is_valid():
        try:
            dispute = services.dispute_raise(
                actor=actor, account=deal.account, registration=deal, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Dispute raised. The program team is notified."))
            return redirect("portal_dispute_detail", dispute_uuid=dispute.uuid)
    # The registration's page again, the error beside the field and the typed text kept.
    return portal_detail_page(request, actor, deal, dispute_form=form, status=400)
