"""Deal registration pages: the portal's list and registration form (a "locked" panel until the
onboarding steps the benefit needs are done) and the console's list. Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from onboarding.models import Benefit
from onboarding.services.progress import BenefitLocked, benefit_status
from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors, require_tenant

from . import selectors, services
from .forms import DealRegistrationForm

PAGE_SIZE = 50


def _page(request, deals):
    return Paginator(deals, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
@require_GET
def portal_deals(request):
    actor = require_tenant(request)
    access.require(actor, Perm.PORTAL_VIEW)
    access.require(actor, Perm.DEALS_VIEW)
    page = _page(request, selectors.deals_for(actor))
    context = {
        "page": page,
        "deals": page.object_list,
        "can_register": actor.has(Perm.DEALS_REGISTER),
    }
    return render(request, "dealreg/portal_list.html", context)


@login_required
def portal_deal_register(request):
    actor = require_tenant(request)
    access.require(actor, Perm.PORTAL_VIEW)
    access.require(actor, Perm.DEALS_REGISTER)
    gate = benefit_status(actor, Benefit.DEAL_REGISTRATION)
    if not gate.unlocked:
        status = 403 if request.method == "POST" else 200
        return render(request, "dealreg/portal_locked.html", {"gate": gate}, status=status)
    form = DealRegistrationForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                deal = services.deal_register(actor=actor, **form.cleaned_data)
            except BenefitLocked as locked:  # the gate closed between the check and the save
                return render(
                    request, "dealreg/portal_locked.html", {"gate": locked.status}, status=403
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Deal for %(customer)s registered. Your channel manager will review it.")
                    % {"customer": deal.customer_name},
                )
                return redirect("portal_deals")
        status = 400
    return render(request, "dealreg/portal_register.html", {"form": form}, status=status)


@login_required
@require_GET
def console_deals(request):
    actor = require_tenant(request)
    access.require(actor, Perm.CONSOLE_VIEW)
    access.require(actor, Perm.DEALS_VIEW)
    page = _page(request, selectors.deals_for(actor))
    return render(request, "dealreg/console_list.html", {"page": page, "deals": page.object_list})
