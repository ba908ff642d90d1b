"""Onboarding progress pages: the partner's checklist, the console funnel and benefit gates, the
portal tour's "seen" mark and the setup wizard. Thin: access check, one selector or service call,
render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, csv_response
from tenancy.views import apply_errors

from ..forms.progress import (
    WIZARD_FORMS,
    BenefitGatesForm,
    FunnelFilterForm,
    wizard_initial,
)
from ..selectors import progress as selectors
from ..services import progress as services


def _own_partner(actor):
    partner = actor.membership.partner_organization if actor.membership else None
    if partner is None:
        raise Http404
    return partner


# --- Portal: checklist -------------------------------------------------------------------------


@login_required
@require_GET
def portal_onboarding(request):
    actor = access.require_portal(request)
    partner = _own_partner(actor)
    context = {
        "partner": partner,
        "checklist": selectors.partner_checklist(partner, actor),
    }
    return render(request, "onboarding/progress/portal_checklist.html", context)


# --- Console: funnel and gates -------------------------------------------------------------------


def _funnel_columns(funnel) -> list[Column]:
    """The funnel's partner table as CSV: partner, manager, the date of each step, and the
    steps dated before an earlier one."""
    labels = {step.key: step.label for step in funnel.steps}
    return [
        Column(gettext_lazy("Partner"), "name"),
        Column(gettext_lazy("Channel manager"), "manager"),
        *(Column(step.label, lambda p, key=step.key: p.dates.get(key)) for step in funnel.steps),
        Column(
            gettext_lazy("Steps out of order"),
            lambda p: [labels[key] for key in p.out_of_order],
        ),
    ]


@login_required
@require_GET
def console_onboarding_funnel(request):
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    filters = FunnelFilterForm(request.GET or None, actor=actor)
    if filters.is_bound and not filters.is_valid():
        funnel = selectors.empty_funnel()  # the errors show beside the filters
    else:
        funnel = selectors.onboarding_funnel(actor, **filters.selector_kwargs())
    if request.GET.get("format") == "csv":
        return csv_response(funnel.partners, _funnel_columns(funnel), "onboarding-funnel")
    context = {
        "filters": filters,
        "funnel": funnel,
        "step_labels": [step.label for step in funnel.steps],
    }
    return render(request, "onboarding/progress/console_funnel.html", context)


@login_required
def console_onboarding_gates(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    settings_row = services.onboarding_settings()
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = BenefitGatesForm(request.POST, settings_row=settings_row)
        if form.is_valid():
            try:
                services.benefit_gates_save(actor=actor, **form.service_kwargs())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Benefit gates saved."))
                return redirect("console_onboarding_gates")
        status = 400
    else:
        form = BenefitGatesForm(settings_row=settings_row)
    context = {"form": form, "can_manage": can_manage}
    return render(request, "onboarding/progress/console_gates.html", context, status=status)


# --- Portal: tour ------------------------------------------------------------------------------


@login_required
@require_POST
def portal_tour_seen(request):
    actor = access.require_portal(request)
    services.tour_mark_seen(actor=actor)
    return HttpResponse(status=204)


# --- Portal: setup wizard ------------------------------------------------------------------------


def _wizard_actor(request):
    actor = access.require_portal(request, Perm.PARTNER_PROFILE_EDIT)
    return actor, _own_partner(actor)


@login_required
@require_GET
def portal_setup_wizard(request):
    """Resume: the first step not saved yet (the last one when all are)."""
    actor, partner = _wizard_actor(request)
    progress = services.wizard_progress(partner)
    step = services.wizard_next_step(progress) or services.WIZARD_STEPS[-1]
    return redirect("portal_setup_wizard_step", step=step.slug)


@login_required
def portal_setup_wizard_step(request, step: str):
    actor, partner = _wizard_actor(request)
    wizard = services.wizard_step(step)
    if wizard is None:
        raise Http404
    steps = list(services.WIZARD_STEPS)
    index = steps.index(wizard)
    form_class = WIZARD_FORMS[wizard.slug]
    status = 200
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            try:
                services.wizard_step_save(
                    actor=actor, partner=partner, step=wizard.slug, **form.cleaned_data
                )
                if index == len(steps) - 1:
                    services.wizard_finish(actor=actor, partner=partner)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                if index < len(steps) - 1:
                    return redirect("portal_setup_wizard_step", step=steps[index + 1].slug)
                messages.success(request, _("Your company profile is complete. Thank you!"))
                return redirect("portal_onboarding")
        status = 400
    else:
        form = form_class(initial=wizard_initial(wizard, partner))
    progress = services.wizard_progress(partner)
    context = {
        "form": form,
        "step": wizard,
        "steps": steps,
        "index": index,
        "previous": steps[index - 1] if index else None,
        "is_last": index == len(steps) - 1,
        "completed_steps": progress.completed_steps,
    }
    return render(request, "onboarding/progress/portal_wizard.html", context, status=status)
