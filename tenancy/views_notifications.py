"""The person's own notifications (the bell's page) and their preferences: which channel for each
kind of event, and the time zone pages show times in. Open to every member of the tenant, on
either surface; a notification is only ever its recipient's (anyone else: 404)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import access, notifications
from .access import Perm
from .common.lists import Column, list_page
from .forms import NotificationFilter, NotificationPreferencesForm


def _member(request) -> access.Actor:
    """A member of this tenant (404 off a tenant's host; 403 without a role here)."""
    actor = access.require_tenant(request)
    access.require_any(actor, Perm.CONSOLE_VIEW, Perm.PORTAL_VIEW)
    return actor


def _base_template(actor: access.Actor) -> str:
    return "console/base.html" if actor.has(Perm.CONSOLE_VIEW) else "portal/base.html"


@login_required
def notification_list(request):
    actor = _member(request)
    listing = list_page(
        request,
        notifications.notifications_for(request.user),
        filterset_class=NotificationFilter,
        sorts={"date": "created_at"},
        default_sort="-date",
        columns=[
            Column(_("Date"), "created_at"),
            Column(_("Kind"), "kind_label"),
            Column(_("Title"), "title"),
            Column(_("Read"), "read_at"),
            Column(_("Link"), "url"),
        ],
        filename=_("notifications"),
        page_size=25,
    )
    if listing.export is not None:
        return listing.export
    context = {"listing": listing, "base_template": _base_template(actor)}
    return render(request, "tenancy/notifications.html", context)


def _own(request, notification_uuid):
    _member(request)
    return get_object_or_404(notifications.notifications_for(request.user), uuid=notification_uuid)


def _back(request):
    """Back to the list as it was (its filters and page), never to another host."""
    target = request.POST.get("next", "")
    if target.startswith("/notifications/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_POST
def notification_read(request, notification_uuid):
    notification = _own(request, notification_uuid)
    notifications.notification_mark_read(user=request.user, notification=notification)
    if request.htmx:
        return render(
            request,
            "tenancy/_notification_row.html",
            {"notification": notification, "oob_bell": True},
        )
    return _back(request)


@login_required
@require_POST
def notification_open(request, notification_uuid):
    """Mark read and go to the page that shows the event."""
    notification = _own(request, notification_uuid)
    notifications.notification_mark_read(user=request.user, notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request):
    _member(request)
    count = notifications.notifications_mark_all_read(user=request.user)
    messages.success(
        request,
        _("Marked %(count)s notifications as read.") % {"count": count}
        if count != 1
        else _("Marked 1 notification as read."),
    )
    return _back(request)


@login_required
def notification_preferences(request):
    actor = _member(request)
    membership = actor.membership
    form = NotificationPreferencesForm(
        request.POST or None,
        membership=membership,
        tenant=request.tenant,
        preferences=notifications.preferences_of(request.user),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            notifications.notification_preferences_save(
                membership=membership,
                channels=form.channels(),
                time_zone=form.cleaned_data["time_zone"],
            )
            messages.success(request, _("Your notification settings are saved."))
            return redirect("notification_preferences")
        status = 400
    context = {"form": form, "base_template": _base_template(actor)}
    return render(request, "tenancy/notification_preferences.html", context, status=status)
