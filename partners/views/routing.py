"""Console: the tenant's application routing (rules in order, the fallback). Program admins."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django_countries import countries

from tenancy.access import Perm
from tenancy.views import apply_errors, require_console

from ..forms.routing import RoutingFallbackForm, RoutingRuleForm
from ..models import ApplicationRoutingRule, PartnerType, Region
from ..services import routing as services
from ..services.tiers import program_settings


def _rules():
    return ApplicationRoutingRule.objects.select_related("channel_manager").order_by(
        "position", "id"
    )


def _render(request, *, rule_form=None, fallback_form=None, status=200):
    settings = program_settings()
    region_labels, type_labels = dict(Region.choices), dict(PartnerType.choices)
    rules = [
        {
            "rule": rule,
            "countries": [countries.name(code) or code for code in rule.countries],
            "regions": [region_labels.get(r, r) for r in rule.regions],
            "types": [type_labels.get(t, t) for t in rule.partner_types],
        }
        for rule in _rules()
    ]
    context = {
        "rules": rules,
        "rule_form": rule_form or RoutingRuleForm(initial={"position": len(rules) + 1}),
        "fallback_form": fallback_form
        or RoutingFallbackForm(initial={"application_fallback": settings.application_fallback}),
        "managers": services.channel_managers(),
    }
    return render(request, "partners/applications/routing.html", context, status=status)


@login_required
def console_routing(request):
    actor = require_console(request, Perm.PROGRAM_MANAGE)
    if request.method != "POST":
        return _render(request)
    if request.POST.get("action") == "fallback":
        form = RoutingFallbackForm(request.POST)
        if form.is_valid():
            services.routing_fallback_set(
                actor=actor, fallback=form.cleaned_data["application_fallback"]
            )
            messages.success(request, _("Saved."))
            return redirect("console_application_routing")
        return _render(request, fallback_form=form, status=400)
    form = RoutingRuleForm(request.POST)
    if form.is_valid():
        try:
            services.routing_rule_save(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Rule added."))
            return redirect("console_application_routing")
    return _render(request, rule_form=form, status=400)


@login_required
def console_routing_rule(request, rule_uuid):
    actor = require_console(request, Perm.PROGRAM_MANAGE)
    try:
        rule = _rules().get(uuid=rule_uuid)
    except ApplicationRoutingRule.DoesNotExist:
        raise Http404 from None
    form = RoutingRuleForm(rule=rule)
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.routing_rule_delete(actor=actor, rule=rule)
            messages.success(request, _("Rule deleted."))
            return redirect("console_application_routing")
        form = RoutingRuleForm(request.POST, rule=rule)
        if form.is_valid():
            try:
                services.routing_rule_save(actor=actor, rule=rule, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Rule saved."))
                return redirect("console_application_routing")
        status = 400
    return render(
        request,
        "partners/applications/routing_rule.html",
        {"rule": rule, "form": form},
        status=status,
    )
