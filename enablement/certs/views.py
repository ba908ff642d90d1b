"""Certification pages: portal (mine, available, PDF), console (tracks, certifications, awards)
and the public verification page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import page_window
from tenancy.roles import Role
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors, require_tenant

from . import selectors, services
from .forms import CertificationForm, TrackForm


@login_required
def portal_certifications(request):
    actor = access.require_portal(request)
    context = {"data": selectors.portal_certifications(actor), "now": timezone.now()}
    if actor.role == Role.PARTNER_ADMIN:
        # A partner admin also sees who in their organisation holds what.
        context["org_awards"] = selectors.awards_for(actor).order_by("user__email", "pk")[:200]
    return render(request, "enablement/certs/portal.html", context)


@login_required
@require_GET
def certificate_download(request, award_uuid):
    actor = require_tenant(request)
    services.ensure_access(actor)
    award = get_object_or_404(selectors.awards_for(actor), uuid=award_uuid)
    services.certificate_store(award)  # stored when awarded; older awards: now, once
    return stored_file_response(
        award.certificate_file,
        filename=f"certificate-{award.uuid}.pdf",
        content_type="application/pdf",
        sha256=award.certificate_sha256,
    )


@login_required
def console_certifications(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    track_form = TrackForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        track_form = TrackForm(request.POST)
        if track_form.is_valid():
            try:
                services.track_save(actor=actor, **track_form.cleaned_data)
            except ValidationError as error:
                apply_errors(track_form, error)
            else:
                messages.success(request, _("Track saved."))
                return redirect("console_certifications")
        status = 400
    awards = page_window(request, selectors.awards_for(actor).order_by("-issued_at", "pk"))
    context = {
        "tracks": selectors.tracks(),
        "certifications": selectors.certifications_for(actor),
        "awards": awards,
        "now": timezone.now(),
        "can_manage": can_manage,
        "track_form": track_form,
    }
    return render(request, "enablement/certs/console.html", context, status=status)


@login_required
def console_certification_edit(request, certification_uuid=None):
    actor = access.require_console(request, Perm.PROGRAM_VIEW, Perm.PROGRAM_MANAGE)
    certification = None
    if certification_uuid is not None:
        certification = get_object_or_404(
            selectors.certifications_for(actor), uuid=certification_uuid
        )
    form = CertificationForm(certification=certification)
    status = 200
    if request.method == "POST":
        form = CertificationForm(request.POST, certification=certification)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.certification_save(actor=actor, certification=certification, **data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Certification saved."))
                return redirect("console_certifications")
        status = 400
    context = {"form": form, "certification": certification}
    return render(request, "enablement/certs/console_edit.html", context, status=status)


@login_required
@require_POST
def console_award_revoke(request, award_uuid):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    award = get_object_or_404(selectors.awards_for(actor), uuid=award_uuid)
    try:
        services.award_revoke(actor=actor, award=award, reason=request.POST.get("reason", ""))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Certification revoked."))
    return redirect("console_certifications")


@never_cache
@require_GET
def certification_verify(request, code):
    """Public: anyone with the code sees holder, certification and status — nothing else."""
    require_tenant(request)
    award = selectors.award_by_code(code) if len(code) <= 32 else None
    if award is None:
        raise Http404
    context = {"award": award, "status": award.status(), "holder": award.user.get_full_name()}
    return render(request, "enablement/certs/verify.html", context)
