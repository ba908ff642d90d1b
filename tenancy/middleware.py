"""Request plumbing for tenancy: resolve the tenant from the host, keep sessions on their host,
hold tenant admins to MFA, and show times in the viewer's time zone."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access
from .context import request_meta_context, reset_current_tenant, set_current_tenant
from .hosts import UnknownHost, tenant_for_host
from .network import client_ip
from .timezones import remember_requested_zone, zone_for
from .views_errors import unknown_host_response

SESSION_TENANT_KEY = "_prm_tenant"
PLATFORM = "platform"


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            tenant = tenant_for_host(request.get_host())
        except UnknownHost:
            return unknown_host_response(request)
        request.tenant = tenant
        token = set_current_tenant(tenant)
        # NOTE: behind a reverse proxy REMOTE_ADDR is the proxy's address (gunicorn's
        # --forwarded-allow-ips changes only the scheme, never REMOTE_ADDR): set
        # PRM_TRUSTED_PROXY_COUNT and have each proxy append to X-Forwarded-For (network.py).
        meta = {"ip": client_ip(request), "user_agent": request.META.get("HTTP_USER_AGENT", "")}
        try:
            with request_meta_context(meta):
                return self.get_response(request)
        finally:
            reset_current_tenant(token)


def session_tenant_marker(request) -> str | int:
    tenant = getattr(request, "tenant", None)
    return tenant.pk if tenant is not None else PLATFORM


class HostScopedSessionMiddleware:
    """A session belongs to the host it logged in on. Cookies are already host-only; this also
    refuses a session carried to another tenant's host (e.g. a misconfigured cookie domain)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            marker = request.session.get(SESSION_TENANT_KEY)
            if marker is not None and marker != session_tenant_marker(request):
                logout(request)
        return self.get_response(request)


class AdminMfaMiddleware:
    """Members whose role requires MFA are sent to set up TOTP before anything else."""

    ALLOWED_PREFIXES = ("/accounts/", "/static/", "/healthz", "/api/", "/dev/", "/invitations/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            getattr(request, "tenant", None) is not None
            and request.user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
        ):
            actor = access.get_actor(request)
            if actor.role in settings.PRM_MFA_REQUIRED_ROLES and not actor.mfa_satisfied:
                messages.warning(
                    request,
                    _("Your role requires two-factor authentication. Set it up to continue."),
                )
                return redirect("mfa_activate_totp")
        return self.get_response(request)


class TimeZoneMiddleware:
    """Activate the viewer's time zone for the request (tenancy.timezones.zone_for: their own
    choice, else their browser's, else the program's, else UTC). The API stays in UTC (API times
    are ISO 8601 in UTC). The member comes from the request's actor, which the pages compute
    anyway (no extra query)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            return self.get_response(request)
        tenant = getattr(request, "tenant", None)
        membership = None
        if tenant is not None and request.user.is_authenticated:
            membership = access.get_actor(request).membership
        timezone.activate(zone_for(membership, tenant, request))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        remember_requested_zone(request, response)
        return response


def mark_session_host(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: remember which host this session logged in on."""
    if request is not None and hasattr(request, "tenant") and hasattr(request, "session"):
        request.session[SESSION_TENANT_KEY] = session_tenant_marker(request)
