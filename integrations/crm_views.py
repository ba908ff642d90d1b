"""CRM connection pages (console, program admins) and the inbound URL a CRM notifies."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from tenancy.access import Perm, require_console
from tenancy.common.lists import list_page
from tenancy.context import get_current_tenant
from tenancy.hosts import tenant_base_url
from tenancy.views import apply_errors

from . import connections as service
from . import crm
from .forms import ConnectForm, ConnectionForm, SyncLogFilter
from .models import CrmConnection, CrmLink


def _actor(request):
    actor = require_console(request, Perm.API_KEYS_MANAGE)
    if actor.is_partner:
        raise PermissionDenied
    return actor


def _connection(actor, connection_uuid) -> CrmConnection:
    try:
        return service.get_connection(actor, connection_uuid)
    except PermissionDenied as error:
        raise Http404 from error


def inbound_url(connection: CrmConnection) -> str:
    path = reverse("crm_inbound", kwargs={"connection_uuid": connection.uuid})
    return tenant_base_url(connection.tenant) + path


@login_required
def connection_list(request):
    actor = _actor(request)
    form = ConnectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                connection = service.connection_create(
                    actor=actor, settings={}, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "Connection added. Enter its settings, tick Active and save, then test "
                        "the connection."
                    ),
                )
                return redirect("console_crm_connection", connection_uuid=connection.uuid)
    connections = list(service.connections_for(actor))
    context = {"connections": connections, "form": form}
    return render(request, "integrations/crm_connections.html", context, status=status)


@login_required
def connection_detail(request, connection_uuid):
    actor = _actor(request)
    connection = _connection(actor, connection_uuid)
    initial = {
        "name": connection.name,
        "is_active": connection.is_active,
        "demo_mode": connection.demo_mode,
    }
    form = ConnectionForm(request.POST or None, initial=initial, connection=connection)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                service.connection_update(
                    actor=actor, connection=connection, **form.service_arguments()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Connection saved."))
                return redirect("console_crm_connection", connection_uuid=connection.uuid)
    listing = list_page(
        request, service.log_for(actor, connection), filterset_class=SyncLogFilter, page_size=25
    )
    context = {
        "connection": connection,
        "form": form,
        "listing": listing,
        "inbound_url": inbound_url(connection),
        "has_inbound": crm.connector_class(connection.kind).has_inbound,
        "linked": CrmLink.objects.filter(connection=connection).count(),
    }
    return render(request, "integrations/crm_connection.html", context, status=status)


@login_required
@require_POST
def connection_action(request, connection_uuid, action: str):
    actor = _actor(request)
    connection = _connection(actor, connection_uuid)
    if action == "test":
        ok, message = service.connection_test(actor=actor, connection=connection)
        (messages.success if ok else messages.error)(request, message)
    elif action == "pull":
        changed = service.connection_pull_now(actor=actor, connection=connection)
        if changed is None:
            messages.error(request, _("The pull did not finish: see the sync log."))
        else:
            messages.success(
                request,
                ngettext(
                    "Pulled: %(n)s registration updated.",
                    "Pulled: %(n)s registrations updated.",
                    changed,
                )
                % {"n": changed},
            )
    elif action == "backfill":
        try:
            queued = service.connection_backfill(actor=actor, connection=connection)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                ngettext(
                    "%(n)s approved registration queued for the CRM: see the sync log.",
                    "%(n)s approved registrations queued for the CRM: see the sync log.",
                    queued,
                )
                % {"n": queued},
            )
    elif action == "delete":
        service.connection_delete(actor=actor, connection=connection)
        messages.success(request, _("Connection deleted. Nothing more is synced with it."))
        return redirect("console_crm_connections")
    else:
        raise Http404
    return redirect("console_crm_connection", connection_uuid=connection.uuid)


@csrf_exempt
@require_POST
def inbound(request, connection_uuid):
    """Where a CRM posts its change notifications (no session: the connector verifies the
    CRM's signature). Answers JSON: 200 with how many registrations changed, 401 when the
    signature is refused, 404 for an unknown connection."""
    tenant = get_current_tenant()
    connection = (
        CrmConnection.objects.filter(uuid=connection_uuid, is_active=True).first()
        if tenant is not None
        else None
    )
    if connection is None:
        return JsonResponse({"detail": _("No such connection.")}, status=404)
    status, answer = crm.receive(
        connection,
        method=request.method,
        url=request.build_absolute_uri(),
        headers=request.headers,  # case-insensitive
        body=request.body,
    )
    return JsonResponse(answer, status=status)
