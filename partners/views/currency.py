"""Console: the exchange rates into the program currency (list, set, remove)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from ..forms.currency import ExchangeRateForm
from ..models import ExchangeRate
from ..services import currency as services
from ..services.tiers import program_settings


@login_required
def console_exchange_rates(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    form = ExchangeRateForm()
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = ExchangeRateForm(request.POST)
        if form.is_valid():
            try:
                rate = services.exchange_rate_set(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Saved: 1 %(currency)s = %(rate)s %(program)s.")
                    % {
                        "currency": rate.currency,
                        "rate": rate.rate_display,
                        "program": program_settings().currency,
                    },
                )
                return redirect("console_exchange_rates")
        status = 400
    context = {
        "rates": ExchangeRate.objects.select_related("updated_by"),
        "program_currency": program_settings().currency,
        "form": form,
        "can_manage": actor.has(Perm.PROGRAM_MANAGE),
    }
    return render(request, "partners/currency/console_rates.html", context, status=status)


@login_required
@require_POST
def console_exchange_rate_delete(request, rate_uuid):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    rate = get_object_or_404(ExchangeRate.objects.all(), uuid=rate_uuid)
    services.exchange_rate_delete(actor=actor, rate=rate)
    messages.success(request, _("Rate for %(currency)s removed.") % {"currency": rate.currency})
    return redirect("console_exchange_rates")
