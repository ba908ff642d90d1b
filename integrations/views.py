"""Webhook pages, console (the program's endpoints) and portal (a partner's own): thin, one
access check and one service call each."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tenancy.access import Perm, require_console, require_portal
from tenancy.common.lists import list_page
from tenancy.views import apply_errors

from . import webhooks as service
from .forms import DeliveryFilter, EndpointEditForm, EndpointForm, event_label, event_subject
from .models import WebhookAttempt


def _actor(request, surface: str):
    check = require_console if surface == "console" else require_portal
    return check(request, Perm.API_KEYS_MANAGE)


def _endpoint(actor, endpoint_uuid):
    try:
        return service.get_endpoint(actor, endpoint_uuid)
    except PermissionDenied as error:
        raise Http404 from error


def _context(surface: str, **context) -> dict:
    return {"base_template": f"{surface}/base.html", "surface": surface, **context}


@login_required
def webhook_list(request, surface: str):
    actor = _actor(request, surface)
    form = EndpointForm(request.POST or None)
    new_secret, status = None, 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _endpoint_made, new_secret = service.endpoint_create(
                    actor=actor, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                status = 200
                messages.success(
                    request,
                    _("Endpoint added. Copy its signing secret now: it is shown only once."),
                )
                form = EndpointForm()
    context = _context(
        surface,
        endpoints=list(service.endpoints_for(actor)),
        form=form,
        new_secret=new_secret,
    )
    return render(request, "integrations/webhooks.html", context, status=status)


@login_required
def webhook(request, surface: str, endpoint_uuid):
    actor = _actor(request, surface)
    endpoint = _endpoint(actor, endpoint_uuid)
    initial = {
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": endpoint.event_types,
        "is_active": endpoint.is_active,
    }
    form = EndpointEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                service.endpoint_update(actor=actor, endpoint=endpoint, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Endpoint saved."))
                return redirect(f"{surface}_webhook", endpoint_uuid=endpoint.uuid)
    listing = list_page(
        request,
        service.deliveries_for(actor, endpoint),
        filterset_class=DeliveryFilter,
        page_size=25,
    )
    for delivery in listing.page or ():
        delivery.label = event_label(delivery.event.type)
        delivery.subject = event_subject(delivery.event.payload)
    context = _context(
        surface,
        endpoint=endpoint,
        form=form,
        listing=listing,
        new_secret=request.session.pop("webhook_new_secret", None),
    )
    return render(request, "integrations/webhook.html", context, status=status)


ACTIONS = {
    "rotate": service.endpoint_rotate_secret,
    "enable": service.endpoint_enable,
    "delete": service.endpoint_delete,
    "ping": service.endpoint_ping,
}


@login_required
@require_POST
def webhook_action(request, surface: str, endpoint_uuid, action: str):
    actor = _actor(request, surface)
    endpoint = _endpoint(actor, endpoint_uuid)
    if action not in ACTIONS:
        raise Http404
    result = ACTIONS[action](actor=actor, endpoint=endpoint)
    if action == "delete":
        messages.success(request, _("Endpoint deleted."))
        return redirect(f"{surface}_webhooks")
    if action == "rotate":
        # Shown once, on the next page (never in a URL).
        request.session["webhook_new_secret"] = result
        messages.success(
            request,
            _("New signing secret made. The old one keeps signing for 24 hours, then stops."),
        )
    elif action == "enable":
        messages.success(request, _("Endpoint enabled: new events reach it again."))
    else:
        messages.success(request, _("Test event sent: see it at the top of the log."))
    return redirect(f"{surface}_webhook", endpoint_uuid=endpoint.uuid)


@login_required
def webhook_delivery(request, surface: str, endpoint_uuid, delivery_uuid):
    actor = _actor(request, surface)
    endpoint = _endpoint(actor, endpoint_uuid)
    delivery = get_object_or_404(service.deliveries_for(actor, endpoint), uuid=delivery_uuid)
    context = _context(
        surface,
        endpoint=endpoint,
        delivery=delivery,
        attempts=list(WebhookAttempt.objects.filter(delivery=delivery).order_by("at", "id")),
        payload=json.dumps(json.loads(service.body_of(delivery)), indent=2, ensure_ascii=False),
        event_label=event_label(delivery.event.type),
    )
    return render(request, "integrations/webhook_delivery.html", context)


@login_required
@require_POST
def webhook_delivery_replay(request, surface: str, endpoint_uuid, delivery_uuid):
    actor = _actor(request, surface)
    endpoint = _endpoint(actor, endpoint_uuid)
    delivery = get_object_or_404(service.deliveries_for(actor, endpoint), uuid=delivery_uuid)
    try:
        service.delivery_replay(actor=actor, delivery=delivery)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Sent again, with the same event id."))
    return redirect(
        f"{surface}_webhook_delivery", endpoint_uuid=endpoint.uuid, delivery_uuid=delivery.uuid
    )
