"""Console: approval routing rules (read: program view; write: program manage). Thin."""

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

from ..forms.routing import RoutingRuleForm
from ..selectors import routing as selectors
from ..services import routing as services


def _reader(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    return actor


def _writer(request):
    actor = _reader(request)
    access.require(actor, Perm.PROGRAM_MANAGE)
    return actor


@login_required
def console_deal_routing(request):
    """The rules in order; POST adds one."""
    actor = _writer(request) if request.method == "POST" else _reader(request)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = RoutingRuleForm(request.POST or None) if can_manage else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                rule = services.routing_rule_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Routing rule “%(name)s” added.") % {"name": rule.name})
                return redirect("console_deal_routing")
        status = 400
    context = {"rules": selectors.routing_rules(actor), "form": form, "can_manage": can_manage}
    return render(request, "dealreg/routing/console_list.html", context, status=status)


@login_required
def console_deal_routing_edit(request, rule_uuid):
    actor = _writer(request)
    rule = get_object_or_404(selectors.routing_rules(actor), uuid=rule_uuid)
    form = RoutingRuleForm(request.POST or None, initial=RoutingRuleForm.initial_for(rule))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.routing_rule_update(actor=actor, rule=rule, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Routing rule saved."))
                return redirect("console_deal_routing")
        status = 400
    return render(
        request, "dealreg/routing/console_edit.html", {"rule": rule, "form": form}, status=status
    )


@login_required
@require_POST
def console_deal_routing_delete(request, rule_uuid):
    actor = _writer(request)
    rule = get_object_or_404(selectors.routing_rules(actor), uuid=rule_uuid)
    services.routing_rule_delete(actor=actor, rule=rule)
    messages.success(request, _("Routing rule deleted."))
    return redirect("console_deal_routing")


@login_required
@require_POST
def console_deal_routing_move(request, rule_uuid):
    actor = _writer(request)
    rule = get_object_or_404(selectors.routing_rules(actor), uuid=rule_uuid)
    try:
        services.routing_rule_move(actor=actor, rule=rule, direction=request.POST.get("direction"))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("console_deal_routing")
