"""Extension requests: the partner asks from the registration page; approvers decide in the
console's list of pending requests. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from ..forms.extensions import ExtensionDecisionForm, ExtensionRequestForm
from ..selectors.extensions import pending_extensions_for
from ..selectors.registration import deals_for
from ..services import extensions as services
from ..services.rules import deal_rules


def _portal_deal_url(deal) -> str:
    try:
        return reverse("portal_deal_detail", kwargs={"deal_uuid": deal.uuid})
    except NoReverseMatch:  # the detail page is another area's; fall back to the list
        return reverse("portal_deals")


@login_required
def portal_deal_extension_request(request, deal_uuid):
    """GET: the form on its own; POST: ask for more time (back to the registration)."""
    actor = access.require_portal(request, Perm.DEALS_REGISTER)
    deal = get_object_or_404(deals_for(actor), uuid=deal_uuid)
    form = ExtensionRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.extension_request(
                    actor=actor, registration=deal, reason=form.cleaned_data["reason"]
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Extension requested. You will hear back by email."))
                return redirect(_portal_deal_url(deal))
        status = 400
    context = {
        "deal": deal,
        "form": form,
        "rules": deal_rules(),
        "back_url": _portal_deal_url(deal),
    }
    return render(request, "dealreg/extensions/portal_request.html", context, status=status)


def _console_list(request, actor, *, status=200, failed=None, failed_form=None):
    extensions = list(pending_extensions_for(actor))
    for extension in extensions:
        extension.can_decide = services.may_decide(actor, extension.registration)
        extension.form = (
            failed_form if failed is not None and extension.pk == failed.pk else None
        ) or ExtensionDecisionForm()
    context = {"extensions": extensions, "rules": deal_rules()}
    return render(request, "dealreg/extensions/console_list.html", context, status=status)


@login_required
@require_GET
def console_deal_extensions(request):
    actor = access.require_console(request, Perm.DEALS_VIEW)
    return _console_list(request, actor)


@login_required
@require_POST
def console_extension_decide(request, extension_uuid):
    actor = access.require_console(request, Perm.DEALS_DECIDE)
    extension = get_object_or_404(pending_extensions_for(actor), uuid=extension_uuid)
    form = ExtensionDecisionForm(request.POST)
    if form.is_valid():
        decide = (
            services.extension_approve
            if form.cleaned_data["decision"] == "approve"
            else services.extension_reject
        )
        try:
            decide(actor=actor, extension=extension, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Extension approved.")
                if form.cleaned_data["decision"] == "approve"
                else _("Extension rejected."),
            )
            return redirect("console_deal_extensions")
    return _console_list(request, actor, status=400, failed=extension, failed_form=form)
