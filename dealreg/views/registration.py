"""Deal registration pages: the portal's registration form (a "locked" panel until the onboarding
steps the benefit needs are done) and the console's list (the portal list is the pipeline's).
Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from onboarding.models import Benefit
from onboarding.services.progress import BenefitLocked, benefit_status
from tenancy import access
from tenancy.access import Perm
from tenancy.common.currencies import currency_choices
from tenancy.common.lists import Column, list_page
from tenancy.views import apply_errors

from ..forms.filters import DealRegistrationFilter
from ..forms.registration import DealRegistrationForm
from ..selectors import registration as selectors
from ..services import registration as services
from ..services.rules import deal_rules


@login_required
def portal_deal_register(request):
    actor = access.require_portal(request, Perm.DEALS_REGISTER)
    gate = benefit_status(actor, Benefit.DEAL_REGISTRATION)
    if not gate.unlocked:
        status = 403 if request.method == "POST" else 200
        return render(request, "dealreg/portal_locked.html", {"gate": gate}, status=status)
    rules = deal_rules()
    form = DealRegistrationForm(request.POST or None, rules=rules)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                deal = services.deal_register(
                    actor=actor, draft="save_draft" in request.POST, **form.cleaned_data
                )
            except BenefitLocked as locked:  # the gate closed between the check and the save
                return render(
                    request, "dealreg/portal_locked.html", {"gate": locked.status}, status=403
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                if deal.status == "draft":
                    messages.success(request, _("Draft saved. Submit it when it is complete."))
                else:
                    messages.success(
                        request,
                        _("Deal for %(customer)s registered. Your channel manager will review it.")
                        % {"customer": deal.customer_name},
                    )
                # The detail page shows the possible-conflict warning: once, not also as a flash.
                return redirect("portal_deal_detail", deal_uuid=deal.uuid)
        status = 400
    context = {"form": form, "rules": rules, "currencies": currency_choices()}
    return render(request, "dealreg/portal_register.html", context, status=status)


CONSOLE_SORTS = {
    "customer": "customer_name",
    "partner": ("partner__name", "customer_name"),
    "value": "estimated_value",
    "close": "expected_close_date",
    "status": "status",
    "submitted": ("submitted_at", "created_at"),
}
CONSOLE_COLUMNS = [
    Column(_l("Customer"), "customer_name"),
    Column(_l("Customer domain"), "customer_domain"),
    Column(_l("Partner"), "partner.name"),
    Column(_l("Country"), lambda d: d.customer_country.name if d.customer_country else ""),
    Column(_l("Region"), "get_region_display"),
    Column(_l("Products"), "products"),
    Column(_l("Estimated value"), "estimated_value"),
    Column(_l("Currency"), "currency"),
    Column(_l("Expected close date"), "expected_close_date"),
    Column(_l("Status"), "get_status_display"),
    Column(_l("Submitted"), "submitted_at"),
    Column(_l("Submitted by"), "submitted_by.email"),
    Column(_l("Approver"), lambda d: d.assigned_to.email if d.assigned_to else ""),
    Column(_l("Lock expires"), "expires_at"),
]


@login_required
@require_GET
def console_deals(request):
    actor = access.require_console(request, Perm.DEALS_VIEW)
    listing = list_page(
        request,
        selectors.deals_for(actor).select_related("assigned_to"),
        filterset_class=DealRegistrationFilter,
        sorts=CONSOLE_SORTS,
        default_sort="-submitted",
        columns=CONSOLE_COLUMNS,
        filename="deal-registrations",
    )
    if listing.export is not None:
        return listing.export
    context = {"listing": listing, "page": listing.page, "deals": listing.page.object_list}
    return render(request, "dealreg/console_list.html", context)
