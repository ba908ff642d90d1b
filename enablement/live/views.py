"""Pages of live sessions: portal (browse, register, cancel) and console (create, edit, roster,
attendance). Thin: access check, one service or selector call, render in the viewer's zone."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from . import selectors, services
from .forms import LiveSessionForm
from .models import RegistrationStatus


def viewer_timezone(request) -> zoneinfo.ZoneInfo:
    """The zone the request's times are shown in: tenancy's TimeZoneMiddleware already activated
    it (the member's choice, else the browser's, else the program's, else UTC)."""
    return timezone.get_current_timezone()


def _render(request, template: str, context: dict, *, status: int = 200):
    zone = viewer_timezone(request)
    with timezone.override(zone):
        response = render(request, template, {**context, "viewer_tz": zone.key}, status=status)
    return response


# --- Portal ------------------------------------------------------------------------------------


def _portal_context(actor) -> dict:
    return {
        "sessions": selectors.portal_sessions(actor),
        "registrations": selectors.my_registrations(actor),
        "statuses": RegistrationStatus,
    }


@login_required
def portal_sessions(request):
    actor = access.require_portal(request)
    template = (
        "enablement/live/_portal_sessions.html"
        if request.htmx
        else "enablement/live/portal_sessions.html"
    )
    return _render(request, template, _portal_context(actor))


def _portal_action(request, session_uuid, action):
    actor = access.require_portal(request)
    session = get_object_or_404(selectors.visible_sessions(actor), uuid=session_uuid)
    status = 200
    try:
        message = action(actor, session)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        status = 400
    else:
        messages.success(request, message)
    if request.htmx:
        return _render(
            request, "enablement/live/_portal_sessions.html", _portal_context(actor), status=status
        )
    return redirect("portal_sessions")


def _register(actor, session) -> str:
    registration = services.registration_register(actor=actor, session=session)
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("You are registered for %(title)s. A calendar invite is on its way.") % {
            "title": session.title
        }
    return _("%(title)s is full: you are on the waitlist.") % {"title": session.title}


def _cancel(actor, session) -> str:
    registration = selectors.my_registrations(actor).filter(session=session).first()
    if registration is None:
        raise ValidationError(_("You are not registered for this session."))
    services.registration_cancel(actor=actor, registration=registration)
    return _("Your registration for %(title)s is cancelled.") % {"title": session.title}


@login_required
@require_POST
def portal_session_register(request, session_uuid):
    return _portal_action(request, session_uuid, _register)


@login_required
@require_POST
def portal_session_cancel(request, session_uuid):
    return _portal_action(request, session_uuid, _cancel)


# --- Console -----------------------------------------------------------------------------------


def _sessions_console_actor(request):
    """The console's sessions pages: program staff, and anyone else in the console who hosts a
    session (a direct sales rep presenting one)."""
    actor = access.require_console(request)
    if not actor.has(Perm.PROGRAM_VIEW) and not selectors.visible_sessions(actor).exists():
        raise PermissionDenied(_("Your role does not allow this."))
    return actor


@login_required
def console_sessions(request):
    actor = _sessions_console_actor(request)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = None
    status = 200
    zone = viewer_timezone(request)
    with timezone.override(zone):  # the form's times are in the viewer's zone
        if request.method == "POST":
            access.require(actor, Perm.PROGRAM_MANAGE)
            form = LiveSessionForm(request.POST)
            if form.is_valid():
                try:
                    session = services.session_create(actor=actor, **form.cleaned_data)
                except ValidationError as error:
                    apply_errors(form, error)
                else:
                    messages.success(request, _("Session created."))
                    return redirect("console_session_detail", session_uuid=session.uuid)
            status = 400
        elif can_manage:
            form = LiveSessionForm()
    context = {"sessions": selectors.console_sessions(actor), "form": form}
    return _render(request, "enablement/live/console_sessions.html", context, status=status)


@login_required
def console_session_detail(request, session_uuid):
    actor = _sessions_console_actor(request)
    session = get_object_or_404(selectors.console_sessions(actor), uuid=session_uuid)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = None
    status = 200
    zone = viewer_timezone(request)
    with timezone.override(zone):
        if request.method == "POST":
            access.require(actor, Perm.PROGRAM_MANAGE)
            form = LiveSessionForm(request.POST, instance=session)
            if form.is_valid():
                try:
                    services.session_update(actor=actor, session=session, **form.cleaned_data)
                except ValidationError as error:
                    apply_errors(form, error)
                else:
                    messages.success(request, _("Session saved."))
                    return redirect("console_session_detail", session_uuid=session.uuid)
            status = 400
        elif can_manage:
            form = LiveSessionForm(instance=session)
    context = {
        "session": session,
        "form": form,
        "roster": selectors.session_roster(session),
        "can_take_attendance": access.may_take_attendance(actor, session),
    }
    return _render(request, "enablement/live/console_session_detail.html", context, status=status)


@login_required
@require_POST
def console_session_attendance(request, session_uuid):
    actor = _sessions_console_actor(request)
    session = get_object_or_404(selectors.console_sessions(actor), uuid=session_uuid)
    roster = selectors.session_roster(session)
    chosen = set(request.POST.getlist("attended"))
    attended_ids = {r.pk for r in roster["confirmed"] if str(r.uuid) in chosen}
    try:
        services.attendance_record(actor=actor, session=session, attended_ids=attended_ids)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Attendance saved."))
    return redirect("console_session_detail", session_uuid=session.uuid)
