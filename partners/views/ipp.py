"""ipp: the console IPP editor. Program admins change criteria; other vendor roles with program
access read them. Thin: access check, one service or selector call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from ..forms.ipp import CriterionForm
from ..models import CriterionGroup, IppCriterion
from ..selectors import ipp as selectors
from ..services import ipp as services

FORM_FIELDS = ("group", "label", "field", "operator", "weight")


def _ipp_actor(request, *, manage: bool = False):
    actor = access.require_console(request)
    access.require(actor, Perm.PROGRAM_MANAGE if manage else Perm.PROGRAM_VIEW)
    return actor


def _form(data=None, *, initial=None) -> CriterionForm:
    form = CriterionForm(data, initial=initial)
    refit = {
        "hx-get": reverse("console_ipp_criterion_form"),
        "hx-target": "#ipp-criterion-fields",
        "hx-swap": "outerHTML",
        "hx-include": "closest form",
        "hx-trigger": "change",
    }
    for name in ("field", "operator"):
        form.fields[name].widget.attrs.update(refit)
    return form


def _editor_context(actor, form=None) -> dict:
    groups, total_weight = selectors.criteria_by_group(actor)
    return {
        "profile": selectors.profile_for(actor),
        "groups": groups,
        "total_weight": total_weight,
        "distribution": selectors.score_distribution(actor),
        "can_manage": actor.has(Perm.PROGRAM_MANAGE),
        "form": form,
    }


@login_required
def console_ipp(request):
    actor = _ipp_actor(request)
    status = 200
    form = None
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = _form(request.POST)
        if form.is_valid():
            try:
                criterion = services.criterion_create(actor=actor, **form.service_kwargs())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Criterion “%(label)s” added. Scores are being recomputed.")
                    % {"label": criterion.label},
                )
                return redirect("console_ipp")
        status = 400
    elif actor.has(Perm.PROGRAM_MANAGE):
        group = request.GET.get("group")
        form = _form(
            initial={
                "group": group if group in CriterionGroup.values else CriterionGroup.FIRMOGRAPHIC
            }
        )
    return render(request, "partners/ipp/editor.html", _editor_context(actor, form), status=status)


@login_required
@require_GET
def console_ipp_criterion_form(request):
    """htmx: the form body again, refitted to the field and rule just chosen (nothing lost)."""
    _ipp_actor(request, manage=True)
    initial = {name: request.GET.get(name) for name in FORM_FIELDS if request.GET.get(name)}
    initial["value"] = [item for item in request.GET.getlist("value") if item != ""]
    return render(request, "partners/ipp/_criterion_fields.html", {"form": _form(initial=initial)})


@login_required
@require_POST
def console_ipp_preview(request):
    """htmx: the score distribution the IPP would give if the form's criterion were saved."""
    actor = _ipp_actor(request, manage=True)
    form = _form(request.POST)
    replace = request.GET.get("replace")
    criteria = list(selectors.criteria_for(actor))
    context = {"preview": True, "distribution": None}
    if form.is_valid():
        draft = IppCriterion(**form.service_kwargs())
        try:
            draft.value = services.clean_criterion_value(
                field=draft.field, operator=draft.operator, value=draft.value
            )
        except ValidationError as error:
            context["preview_error"] = " ".join(error.messages)
        else:
            criteria = [c for c in criteria if str(c.uuid) != replace] + [draft]
            context["distribution"] = selectors.score_distribution_preview(actor, criteria)
    else:
        context["preview_error"] = _("Complete the criterion to preview its effect.")
    return render(request, "partners/ipp/_distribution.html", context)


@login_required
def console_ipp_criterion(request, criterion_uuid):
    actor = _ipp_actor(request)
    criterion = get_object_or_404(selectors.criteria_for(actor), uuid=criterion_uuid)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = _form(request.POST)
        if form.is_valid():
            try:
                services.criterion_update(actor=actor, criterion=criterion, **form.service_kwargs())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Criterion saved. Scores are being recomputed."))
                return redirect("console_ipp")
        status = 400
    else:
        form = _form(initial=CriterionForm.initial_for(criterion)) if can_manage else None
    context = {
        "criterion": criterion,
        "rule_text": services.describe_rule(criterion),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "partners/ipp/criterion.html", context, status=status)


@login_required
@require_POST
def console_ipp_criterion_delete(request, criterion_uuid):
    actor = _ipp_actor(request)
    criterion = get_object_or_404(selectors.criteria_for(actor), uuid=criterion_uuid)
    access.require(actor, Perm.PROGRAM_MANAGE)
    services.criterion_delete(actor=actor, criterion=criterion)
    messages.success(
        request,
        _("Criterion “%(label)s” deleted. Scores are being recomputed.")
        % {"label": criterion.label},
    )
    return redirect("console_ipp")


@login_required
@require_POST
def console_ipp_criterion_move(request, criterion_uuid):
    actor = _ipp_actor(request)
    criterion = get_object_or_404(selectors.criteria_for(actor), uuid=criterion_uuid)
    access.require(actor, Perm.PROGRAM_MANAGE)
    try:
        services.criterion_move(
            actor=actor, criterion=criterion, direction=request.POST.get("direction", "")
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(f"{reverse('console_ipp')}#criterion-{criterion.uuid}")
