"""Strategy pages (console): GTM plays, the channel SWOT and the financial model calculator.

Program viewers read; program managers change. htmx partials (the SWOT board, the calculator's
outputs) answer 200 with errors inline, because htmx does not swap 4xx responses; the same forms
without JavaScript get the full page with a 400.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from ..forms.strategy import FinancialModelForm, GtmPlayForm, SwotItemForm
from ..selectors import strategy as selectors
from ..services import strategy as services


def _strategy_actor(request, *, manage: bool = False):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    if manage or request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
    return actor


def _board_context(actor, swot_form=None) -> dict:
    return {
        "board": selectors.swot_board(actor),
        "can_manage": actor.has(Perm.PROGRAM_MANAGE),
        "swot_form": swot_form,
    }


def _strategy_page(request, actor, *, play_form=None, swot_form=None, status=200):
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    context = {
        "plays": selectors.gtm_plays(actor),
        "play_form": play_form or (GtmPlayForm() if can_manage else None),
        **_board_context(actor, swot_form),
    }
    return render(request, "partners/strategy/console_strategy.html", context, status=status)


# --- GTM plays ----------------------------------------------------------------------------------


@login_required
def console_strategy(request):
    actor = _strategy_actor(request)
    return _strategy_page(request, actor)


@login_required
@require_POST
def console_gtm_play_create(request):
    actor = _strategy_actor(request, manage=True)
    form = GtmPlayForm(request.POST)
    if form.is_valid():
        try:
            play = services.gtm_play_create(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Play “%(name)s” added.") % {"name": play.name})
            return redirect("console_strategy")
    return _strategy_page(request, actor, play_form=form, status=400)


@login_required
def console_gtm_play(request, play_uuid):
    actor = _strategy_actor(request)
    play = get_object_or_404(selectors.gtm_plays(actor), uuid=play_uuid)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = GtmPlayForm.for_play(play) if can_manage else None
    status = 200
    if request.method == "POST":
        form = GtmPlayForm.for_play(play, request.POST)
        if form.is_valid():
            try:
                services.gtm_play_update(actor=actor, play=play, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Play saved."))
                return redirect("console_strategy")
        status = 400
    return render(
        request,
        "partners/strategy/console_play.html",
        {"play": play, "form": form, "can_manage": can_manage},
        status=status,
    )


@login_required
@require_POST
def console_gtm_play_set_active(request, play_uuid):
    actor = _strategy_actor(request, manage=True)
    play = get_object_or_404(selectors.gtm_plays(actor), uuid=play_uuid)
    active = request.POST.get("active") == "1"
    services.gtm_play_set_active(actor=actor, play=play, active=active)
    messages.success(
        request,
        (_("Play “%(name)s” reactivated.") if active else _("Play “%(name)s” deactivated."))
        % {"name": play.name},
    )
    return redirect("console_strategy")


# --- SWOT ----------------------------------------------------------------------------------------


def _board_response(request, actor, *, swot_form=None, ok: bool = True):
    if request.htmx:
        return render(
            request, "partners/strategy/_swot_board.html", _board_context(actor, swot_form)
        )
    if ok:
        return redirect("console_strategy")
    return _strategy_page(request, actor, swot_form=swot_form, status=400)


@login_required
@require_POST
def console_swot_add(request):
    actor = _strategy_actor(request, manage=True)
    form = SwotItemForm(request.POST)
    if form.is_valid():
        try:
            services.swot_item_add(actor=actor, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            return _board_response(request, actor)
    return _board_response(request, actor, swot_form=form, ok=False)


@login_required
@require_POST
def console_swot_remove(request, item_uuid):
    actor = _strategy_actor(request, manage=True)
    item = get_object_or_404(selectors.swot_items(actor), uuid=item_uuid)
    services.swot_item_remove(actor=actor, item=item)
    return _board_response(request, actor)


# --- Financial model -------------------------------------------------------------------------


def _calculator_form(data=None, initial=None) -> FinancialModelForm:
    initial = initial or {
        "currency": selectors.program_currency(),
        "margin_pct": "20",
        "mdf_pct": "3",
        "management_cost_per_partner": "5000",
    }
    return FinancialModelForm(data, initial=initial, tier_names=selectors.financial_tier_names())


def _outputs_for(form: FinancialModelForm) -> tuple[services.FinancialOutputs | None, list[str]]:
    """Compute from a bound, valid form; errors are shown next to the outputs."""
    if not form.is_valid():
        return None, []
    try:
        return services.financial_model_compute(**form.compute_arguments()), []
    except ValidationError as error:
        return None, error.messages


@login_required
def console_financial_model(request):
    actor = _strategy_actor(request)
    baselines = selectors.financial_models(actor)
    outputs, output_errors = None, []
    status = 200
    if request.method == "POST":
        form = _calculator_form(request.POST)
        if form.is_valid():
            # Keep showing the projection if saving fails (e.g. the period has a baseline).
            outputs, _errors = _outputs_for(form)
            try:
                model = services.financial_model_save(actor=actor, **form.save_arguments())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Baseline for %(period)s saved: planned ROPI %(ropi)s.")
                    % {"period": model.period, "ropi": model.planned_ropi},
                )
                return redirect("console_financial_model")
        status = 400
    else:
        form = _calculator_form(initial=_starting_values(request, baselines))
        # First load: show outputs when the starting values allow them, no errors yet.
        outputs, _errors = _outputs_for(_calculator_form(_initial_as_data(form)))
    context = {
        "form": form,
        "outputs": outputs,
        "output_errors": output_errors,
        "currency": _currency(form),
        "baselines": baselines,
        "can_manage": actor.has(Perm.PROGRAM_MANAGE),
    }
    return render(request, "partners/strategy/financial_model.html", context, status=status)


@login_required
@require_POST
def console_financial_model_preview(request):
    """htmx: the outputs for the calculator's current inputs (nothing is saved)."""
    access.require_console(request, Perm.PROGRAM_VIEW)
    form = _calculator_form(request.POST)
    outputs, output_errors = _outputs_for(form)
    if not form.is_valid():
        output_errors = [
            f"{form.fields[name].label}: {' '.join(errors)}"
            if name in form.fields
            else " ".join(errors)
            for name, errors in form.errors.items()
            if name not in ("period", "notes", "overwrite")
        ]
    return render(
        request,
        "partners/strategy/_financial_outputs.html",
        {"outputs": outputs, "output_errors": output_errors, "currency": _currency(form)},
    )


def _starting_values(request, baselines) -> dict | None:
    """The calculator starts from a baseline: the one asked for (?baseline=<uuid>, "Load"), else
    the newest one without its period (a new plan usually starts from the last), else defaults."""
    source = request.GET.get("baseline", "")
    if source:
        model = baselines.filter(uuid=source).first() if _is_uuid(source) else None
        if model is not None:
            return FinancialModelForm.initial_from_model(model, selectors.financial_tier_names())
    latest = baselines.first()
    if latest is None:
        return None
    initial = FinancialModelForm.initial_from_model(latest, selectors.financial_tier_names())
    return {**initial, "period": "", "notes": ""}


def _currency(form: FinancialModelForm) -> str:
    value = form.data.get("currency") or form.initial.get("currency") or ""
    return str(value).upper()[:3]


def _initial_as_data(form: FinancialModelForm) -> dict:
    """The unbound form's initial values as POST-like data (to show outputs on first load)."""
    return {
        name: form.initial.get(name, field.initial)
        for name, field in form.fields.items()
        if form.initial.get(name, field.initial) is not None
    }


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
