"""Console review of applications held beside an existing partner: list, detail (what was
submitted next to what the partner has), merge, create a new prospect, reject. Thin: access check,
one selector or service call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.views import apply_errors, require_console

from ..forms.applications import (
    ApplicationCreateForm,
    ApplicationDecisionForm,
    ApplicationFilter,
    ApplicationMergeForm,
    ApplicationRejectForm,
)
from ..models import Application, LifecycleState
from ..selectors import applications as selectors
from ..services import applications as services
from ..services import routing


def _application_or_404(actor, application_uuid) -> Application:
    try:
        return selectors.application_for_actor(actor, application_uuid)
    except Application.DoesNotExist:
        raise Http404 from None


TABS = {
    "mine": (gettext_lazy("Awaiting me"), selectors.applications_awaiting),
    "unassigned": (gettext_lazy("Unassigned"), selectors.applications_unassigned),
    "review": (gettext_lazy("Held for review"), selectors.applications_to_review),
    "all": (gettext_lazy("All"), selectors.applications_for),
}
COLUMNS = [
    Column(gettext_lazy("Submitted"), "submitted_at"),
    Column(gettext_lazy("Company"), "company_name"),
    Column(gettext_lazy("Website"), "website"),
    Column(gettext_lazy("Applicant"), "contact_name"),
    Column(gettext_lazy("Applicant email"), "contact_email"),
    Column(gettext_lazy("Partner"), "partner.name"),
    Column(gettext_lazy("Channel manager"), "partner.channel_manager.email"),
    Column(gettext_lazy("Assigned by"), "get_assigned_via_display"),
    Column(gettext_lazy("Decision"), "get_decision_display"),
]


@login_required
def console_application_list(request):
    """The applications page: awaiting me, the unassigned queue (claim), held for review, all."""
    actor = require_console(request, Perm.PARTNERS_VIEW)
    default = "mine" if access.may_claim_application(actor) else "all"
    tab = request.GET.get("tab") or default
    if tab not in TABS:
        tab = default
    listing = list_page(
        request,
        TABS[tab][1](actor),
        filterset_class=ApplicationFilter,
        sorts={
            "submitted": "submitted_at",
            "company": "company_name",
            "manager": "partner__channel_manager__email",
        },
        default_sort="-submitted",
        columns=COLUMNS,
        filename=f"applications-{tab}",
    )
    if listing.export is not None:
        return listing.export
    context = {
        "listing": listing,
        "applications": listing.page.object_list,
        "tab": tab,
        # Awaiting me and the queue are for the people applications are assigned to.
        "tabs": [
            (key, label)
            for key, (label, _selector) in TABS.items()
            if key in ("review", "all") or access.may_claim_application(actor)
        ],
        "can_claim": access.may_claim_application(actor),
        "can_route": actor.has(Perm.PROGRAM_MANAGE),
    }
    return render(request, "partners/applications/list.html", context)


@login_required
@require_POST
def console_application_claim(request, application_uuid):
    actor = require_console(request, Perm.APPLICATIONS_CLAIM)
    queue = f"{reverse('console_application_list')}?tab=unassigned"
    try:
        application = selectors.application_for_actor(actor, application_uuid)
    except Application.DoesNotExist:
        # A manager who saw it in the queue a moment ago: someone else was quicker.
        if not selectors.was_claimable(application_uuid):
            raise Http404 from None
        messages.error(request, _("Another manager has already taken this application."))
        return redirect(queue)
    try:
        routing.application_claim(actor=actor, application=application)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect(queue)
    messages.success(
        request, _("The application of %s is yours to decide.") % application.company_name
    )
    return redirect("console_application_detail", application_uuid=application.uuid)


@login_required
@require_POST
def console_application_decide(request, application_uuid, decision):
    actor = require_console(request, Perm.PARTNERS_MANAGE)
    application = _application_or_404(actor, application_uuid)
    form = ApplicationDecisionForm(request.POST)
    if form.is_valid():
        try:
            routing.application_decide(
                actor=actor,
                application=application,
                approve=decision == "approve",
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if decision == "approve":
                messages.success(
                    request,
                    _("%s is approved; the applicant is told. Invite them and send the agreement.")
                    % application.partner.name,
                )
                return redirect("console_partner_users", partner_uuid=application.partner.uuid)
            messages.success(request, _("The application is rejected; the applicant is told."))
            return redirect("console_application_list")
    return _render_detail(request, actor, application, status=400, decision_form=form)


def _render_detail(request, actor, application, *, status=200, **forms):
    open_for_review = application.held_for_review and application.decided_at is None
    can_review = open_for_review and access.may_manage_partner(actor, application.partner)
    undecided = not application.held_for_review and application.decided_at is None
    context = {
        "can_claim": undecided
        and access.may_claim_application(actor)
        and selectors.is_unassigned(application),
        "can_decide": undecided
        and application.partner.state == LifecycleState.APPLIED
        and access.may_decide_application(actor, application.partner),
        "decision_form": forms.get("decision_form") or ApplicationDecisionForm(),
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
