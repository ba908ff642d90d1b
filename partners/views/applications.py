"""Console review of applications held beside an existing partner: list, detail (what was
submitted next to what the partner has), merge, create a new prospect, reject. Thin: access check,
one selector or service call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors, require_console

from ..forms.applications import ApplicationCreateForm, ApplicationMergeForm, ApplicationRejectForm
from ..models import Application
from ..selectors import applications as selectors
from ..services import applications as services


def _application_or_404(actor, application_uuid) -> Application:
    try:
        return selectors.application_for_actor(actor, application_uuid)
    except Application.DoesNotExist:
        raise Http404 from None


@login_required
def console_application_list(request):
    actor = require_console(request, Perm.PARTNERS_VIEW)
    return render(
        request,
        "partners/applications/list.html",
        {"applications": selectors.applications_to_review(actor)},
    )


def _render_detail(request, actor, application, *, status=200, **forms):
    open_for_review = application.held_for_review and application.decided_at is None
    can_review = open_for_review and access.may_manage_partner(actor, application.partner)
    context = {
        # Refusals that belong to no field (e.g. "already dealt with"), shown above everything.
        "errors": [e for form in forms.values() for e in form.non_field_errors()],
        "application": application,
        "rows": services.merge_preview(application) if application.held_for_review else [],
        "can_review": can_review,
    }
    if can_review:
        context.update(
            merge_form=forms.get("merge_form") or ApplicationMergeForm(),
            create_form=forms.get("create_form")
            or ApplicationCreateForm.for_application(application),
            reject_form=forms.get("reject_form") or ApplicationRejectForm(),
        )
    return render(request, "partners/applications/detail.html", context, status=status)


@login_required
def console_application_detail(request, application_uuid):
    actor = require_console(request, Perm.PARTNERS_VIEW)
    return _render_detail(request, actor, _application_or_404(actor, application_uuid))


@login_required
@require_POST
def console_application_merge(request, application_uuid):
    actor = require_console(request, Perm.PARTNERS_MANAGE)
    application = _application_or_404(actor, application_uuid)
    form = ApplicationMergeForm(request.POST)
    if form.is_valid():
        try:
            partner = services.application_merge(
                actor=actor,
                application=application,
                fields=form.cleaned_data["fields_to_take"],
                contact_role=form.cleaned_data["contact_role"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The application is merged into %s.") % partner.name)
            return redirect("console_partner_detail", partner_uuid=partner.uuid)
    return _render_detail(request, actor, application, status=400, merge_form=form)


@login_required
@require_POST
def console_application_create(request, application_uuid):
    actor = require_console(request, Perm.PARTNERS_MANAGE)
    application = _application_or_404(actor, application_uuid)
    form = ApplicationCreateForm(request.POST)
    if form.is_valid():
        try:
            partner = services.application_create_prospect(
                actor=actor, application=application, **form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("%s is a new prospect in Applied.") % partner.name)
            return redirect("console_partner_detail", partner_uuid=partner.uuid)
    return _render_detail(request, actor, application, status=400, create_form=form)


@login_required
@require_POST
def console_application_reject(request, application_uuid):
    actor = require_console(request, Perm.PARTNERS_MANAGE)
    application = _application_or_404(actor, application_uuid)
    form = ApplicationRejectForm(request.POST)
    if form.is_valid():
        try:
            services.application_reject(
                actor=actor, application=application, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The application is rejected; the applicant is told."))
            return redirect("console_application_list")
    return _render_detail(request, actor, application, status=400, reject_form=form)
