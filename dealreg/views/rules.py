"""The deal-registration rules: the console form (program team) and the public page (also
shown beside the portal's registration form). Thin."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors, require_tenant

from ..forms.rules import DealRulesForm
from ..services.rules import deal_rules
from ..services.rules_admin import deal_rules_save


@login_required
def console_deal_rules(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    rules = deal_rules()
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = DealRulesForm(request.POST or None, instance=rules)
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        if form.is_valid():
            try:
                deal_rules_save(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Deal registration rules saved."))
                return redirect("console_deal_rules")
        status = 400
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    context = {"form": form, "rules": rules, "can_manage": can_manage}
    return render(request, "dealreg/rules/console.html", context, status=status)


@require_GET
def deal_rules_public(request):
    require_tenant(request)
    return render(request, "dealreg/rules/public.html", {"rules": deal_rules()})
