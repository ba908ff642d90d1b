"""Onboarding workflow pages: the runs (console), one partner's onboarding and mail log (its
"send again" / "mark as sent" are the tenant mail log's, tenancy.views), the run retry, the
30-day cadence editor, and the public unsubscribe page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partners.models import PartnerOrganization
from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.views import apply_errors, require_tenant

from ..forms.cadence import CadenceStepForm
from ..forms.workflow import OnboardingRunFilter
from ..models import CadenceStep, EmailUnsubscribe
from ..selectors import cadence as cadence_selectors
from ..selectors import workflow as selectors
from ..services import cadence as cadence_services
from ..services import workflow as services


def _back(request, fallback: str, **kwargs):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback, **kwargs)


# --- Runs ---------------------------------------------------------------------------------------


RUN_SORTS = {
    "partner": "partner__name",
    "signed": "signature__signed_at",
    "status": ("status", "-updated_at"),
    "updated": "updated_at",
}


def _steps_done(run) -> str:
    steps = list(run.steps.all())
    return f"{sum(1 for s in steps if s.status in ('done', 'skipped'))}/{len(steps)}"


RUN_COLUMNS = [
    Column(gettext_lazy("Partner"), "partner.name"),
    Column(gettext_lazy("Channel manager"), "partner.channel_manager.email"),
    Column(gettext_lazy("Signed"), "signature.signed_at"),
    Column(gettext_lazy("Agreement"), "signature.template.title"),
    Column(gettext_lazy("Status"), "get_status_display"),
    Column(gettext_lazy("Steps done"), _steps_done),
    Column(
        gettext_lazy("Steps not done"),
        lambda run: [
            s.get_key_display() for s in run.steps.all() if s.status in ("pending", "failed")
        ],
    ),
    Column(gettext_lazy("Attempts"), "attempts"),
    Column(gettext_lazy("Last error"), "last_error"),
    Column(gettext_lazy("Started"), "started_at"),
    Column(gettext_lazy("Finished"), "finished_at"),
]


@login_required
@require_GET
def console_onboarding_runs(request):
    """Every onboarding in the actor's reach (filtered, sorted, paged, exportable), with what
    failed and the mail that needs a person."""
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    listing = list_page(
        request,
        selectors.runs_for(actor),
        filterset_class=OnboardingRunFilter,
        filterset_kwargs={"actor": actor},
        sorts=RUN_SORTS,
        default_sort="-signed",
        columns=RUN_COLUMNS,
        filename="onboarding-runs",
    )
    if listing.export is not None:
        return listing.export
    context = {
        "listing": listing,
        "runs": listing.page,
        "failed_steps": list(selectors.failed_steps(actor)[:200]),
        "problem_emails": selectors.with_partners(list(selectors.problem_emails(actor)[:200])),
        "can_manage": actor.has(Perm.PARTNERS_MANAGE),
    }
    return render(request, "onboarding/workflow/console_runs.html", context)


@login_required
@require_GET
def console_partner_onboarding(request, partner_uuid):
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    partners = access.scope_partner_organizations(actor, PartnerOrganization.objects.all())
    partner = get_object_or_404(partners, uuid=partner_uuid)
    run = selectors.runs_for(actor).filter(partner=partner).first()
    emails = list(selectors.partner_emails(partner)[:500])
    selectors.cadence_days(emails)
    if run is not None:
        for step in run.steps.all():
            step.detail_rows = selectors.detail_rows(step.detail)
    context = {
        "partner": partner,
        "run": run,
        "emails": emails,
        "can_manage": access.may_manage_partner(actor, partner),
    }
    return render(request, "onboarding/workflow/console_partner.html", context)


@login_required
@require_POST
def console_onboarding_run_retry(request, run_uuid):
    actor = access.require_console(request, Perm.PARTNERS_MANAGE)
    run = get_object_or_404(selectors.runs_for(actor), uuid=run_uuid)
    services.onboarding_run_retry(actor=actor, run=run)
    messages.success(
        request, _("The onboarding of %(partner)s runs again.") % {"partner": run.partner}
    )
    return _back(request, "console_onboarding_runs")


# --- Cadence ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def console_cadence(request):
    """The cadence steps; program managers add a step here."""
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = CadenceStepForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = CadenceStepForm(request.POST)
        if form.is_valid():
            try:
                cadence_services.cadence_step_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Step added."))
                return redirect("console_cadence")
        status = 400
    context = {
        "steps": list(cadence_selectors.cadence_steps()),
        "can_manage": can_manage,
        "form": form,
        "placeholders": cadence_services.PLACEHOLDERS,
    }
    return render(request, "onboarding/workflow/console_cadence.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def console_cadence_step(request, step_uuid):
    """One step: its preview for a sample partner; program managers edit it here."""
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
    step = get_object_or_404(CadenceStep.objects.all(), uuid=step_uuid)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = CadenceStepForm(instance=step) if can_manage else None
    status = 200
    if request.method == "POST":
        form = CadenceStepForm(request.POST, instance=CadenceStep.objects.get(pk=step.pk))
        if form.is_valid():
            try:
                cadence_services.cadence_step_update(
                    actor=actor, step=CadenceStep.objects.get(pk=step.pk), **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Step saved."))
                return redirect("console_cadence_step", step_uuid=step.uuid)
        status = 400
    partner = cadence_services.sample_partner()
    context = {
        "step": step,
        "form": form,
        "can_manage": can_manage,
        "sample_partner": partner,
        "preview": cadence_services.cadence_preview(
            subject=step.subject, body=step.body, partner=partner
        ),
        "placeholders": cadence_services.PLACEHOLDERS,
    }
    return render(request, "onboarding/workflow/console_cadence_step.html", context, status=status)


@login_required
@require_POST
def console_cadence_step_delete(request, step_uuid):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    step = get_object_or_404(CadenceStep.objects.all(), uuid=step_uuid)
    cadence_services.cadence_step_delete(actor=actor, step=step)
    messages.success(request, _("Step deleted."))
    return redirect("console_cadence")


@login_required
@require_POST
def console_cadence_step_toggle(request, step_uuid):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    step = get_object_or_404(CadenceStep.objects.all(), uuid=step_uuid)
    cadence_services.cadence_step_update(actor=actor, step=step, is_active=not step.is_active)
    messages.success(request, _("Step activated.") if step.is_active else _("Step paused."))
    return redirect("console_cadence")


@login_required
@require_POST
def console_cadence_load_recommended(request):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    added = cadence_services.cadence_load_recommended(actor=actor)
    messages.success(request, _("%(n)s recommended steps added. Review them below.") % {"n": added})
    return redirect("console_cadence")


# --- Public unsubscribe -------------------------------------------------------------------------


# csrf_exempt: mail clients answer RFC 8058 one-click unsubscribe with a plain POST; the signed
# token is the credential, and the only effect is to stop mail to the token's address.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def onboarding_unsubscribe(request, unsubscribe_token):
    require_tenant(request)
    try:
        email = cadence_services.email_from_unsubscribe_token(unsubscribe_token)
    except cadence_services.UnsubscribeTokenOfAnotherTenant as exc:
        raise Http404 from exc
    except ValidationError as error:
        return render(
            request,
            "onboarding/workflow/unsubscribe.html",
            {"error": " ".join(error.messages)},
            status=400,
        )
    done = EmailUnsubscribe.objects.filter(email=email).exists()
    if request.method == "POST":
        cadence_services.unsubscribe(email=email)
        done = True
    return render(
        request,
        "onboarding/workflow/unsubscribe.html",
        {"email": email, "done": done},
    )
