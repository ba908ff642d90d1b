"""Pages of the tenancy area: home routing, invitations, team management (console and portal),
API keys, audit log, mail log, health check and the dev mailbox. Thin: access check, one service or
selector call, render."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from . import access, selectors, services
from .access import Perm, require_console, require_portal, require_tenant  # noqa: F401 (used by every app)
from .common.lists import page_window
from .forms import AcceptInvitationForm, ApiKeyForm, InvitationForm, RoleForm
from .models import Invitation, Membership
from .registry import Registry
from .roles import PARTNER_ROLES, Role

CONSOLE, PORTAL = "console", "portal"
SURFACE_PERMS = {
    # surface: (perm to view the team, perm to change it)
    CONSOLE: (Perm.STAFF_VIEW, Perm.STAFF_MANAGE),
    PORTAL: (Perm.PARTNER_TEAM_MANAGE, Perm.PARTNER_TEAM_MANAGE),
}


def apply_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: field errors where they belong."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- Home --------------------------------------------------------------------------------------


def home(request):
    if getattr(request, "tenant", None) is None:
        memberships = []
        if request.user.is_authenticated:
            memberships = (
                Membership.objects.unscoped()
                .filter(user=request.user, is_active=True)
                .select_related("tenant")
            )
        from .hosts import served_port_suffix, tenant_url_for_request

        workspaces = [(m, tenant_url_for_request(m.tenant, request)) for m in memberships]
        return render(
            request,
            "platform/home.html",
            {
                "workspaces": workspaces,
                "tenant_host_example": f"{settings.PRM_BASE_DOMAIN}{served_port_suffix(request)}",
            },
        )
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    actor = access.get_actor(request)
    if actor.has(Perm.CONSOLE_VIEW):
        return redirect("console_home")
    if actor.has(Perm.PORTAL_VIEW):
        return redirect("portal_home")
    raise PermissionDenied(
        _("Your account has no access to %(tenant)s's partner program.")
        % {"tenant": request.tenant}
    )


# A role's console home can be another app's page (executives: the KPI dashboard); that app
# registers {role: URL name} here from its AppConfig.ready().
console_home_pages: Registry[str] = Registry("tenancy.console_home_pages")

# Panels higher apps add to a home page (a channel manager's partner health, a partner's
# scorecard): fn(request, actor) -> rendered HTML, or "" when the panel is not for this actor.
console_home_panels: Registry = Registry("tenancy.console_home_panels")
portal_home_panels: Registry = Registry("tenancy.portal_home_panels")


def _panels(registry: Registry, request, actor) -> list[str]:
    return [html for _key, panel in registry.items() if (html := panel(request, actor))]


@login_required
def console_home(request):
    actor = access.require_console(request)
    if actor.role and actor.role in dict(console_home_pages.items()):
        return redirect(console_home_pages.get(actor.role))
    return render(
        request, "console/home.html", {"panels": _panels(console_home_panels, request, actor)}
    )


@login_required
def portal_home(request):
    actor = access.require_portal(request)
    return render(
        request,
        "portal/home.html",
        {
            "organization": actor.membership.partner_organization,
            "panels": _panels(portal_home_panels, request, actor),
        },
    )


# --- Team management (one set of views for console and portal) ---------------------------------


def _team_actor(request, surface: str, *, manage: bool = False):
    actor = require_tenant(request)
    view_perm, manage_perm = SURFACE_PERMS[surface]
    access.require(actor, manage_perm if manage else view_perm)
    return actor


def _team_context(request, actor, surface: str, invite_form=None):
    role_choices = [c for c in Role.choices if (c[0] in PARTNER_ROLES) == (surface == PORTAL)]
    filters = {"q": request.GET.get("q", "").strip()[:100], "role": request.GET.get("role", "")}
    if filters["role"] not in {value for value, _ in role_choices}:
        filters["role"] = ""
    members = selectors.team_members(
        actor,
        partner_organization_id=actor.partner_organization_id if surface == PORTAL else None,
        search=filters["q"],
        role=filters["role"],
    )
    can_manage = actor.has(SURFACE_PERMS[surface][1])
    return {
        "surface": surface,
        "base_template": f"{surface}/base.html",
        "filters": filters,
        "role_choices": role_choices if surface == PORTAL else Role.choices,
        "members": members,
        "invitations": selectors.pending_invitations(actor),
        "can_manage": can_manage,
        "invite_form": invite_form or (InvitationForm(actor=actor) if can_manage else None),
    }


@login_required
def team(request, surface: str):
    actor = _team_actor(request, surface)
    if request.method == "POST":
        access.require(actor, SURFACE_PERMS[surface][1])
        form = InvitationForm(request.POST, actor=actor)
        if form.is_valid():
            try:
                invitation = services.invitation_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
                )
                return redirect(f"{surface}_team")
        context = _team_context(request, actor, surface, form)
        return render(request, "tenancy/team.html", context, status=400)
    context = _team_context(request, actor, surface)
    if request.htmx:  # a filter change: only the table
        return render(request, "tenancy/_team_members.html", context)
    return render(request, "tenancy/team.html", context)


@login_required
def team_member(request, surface: str, membership_uuid):
    actor = _team_actor(request, surface)
    members = selectors.team_members(
        actor, partner_organization_id=actor.partner_organization_id if surface == PORTAL else None
    )
    membership = get_object_or_404(members, uuid=membership_uuid)
    form = RoleForm(initial={"role": membership.role}, actor=actor, membership=membership)
    status = 200
    if request.method == "POST":
        access.require(actor, SURFACE_PERMS[surface][1])
        action = request.POST.get("action")
        try:
            if action == "role":
                form = RoleForm(request.POST, actor=actor, membership=membership)
                if form.is_valid():
                    services.membership_change_role(
                        actor=actor, membership=membership, role=form.cleaned_data["role"]
                    )
                    messages.success(request, _("Role changed."))
                    return redirect(f"{surface}_team_member", membership_uuid=membership.uuid)
            elif action in ("deactivate", "activate"):
                services.membership_set_active(
                    actor=actor, membership=membership, active=action == "activate"
                )
                messages.success(
                    request,
                    _("User deactivated.") if action == "deactivate" else _("User reactivated."),
                )
                return redirect(f"{surface}_team_member", membership_uuid=membership.uuid)
            else:
                messages.error(request, _("Unknown action."))
        except ValidationError as error:
            if form.is_bound:
                apply_errors(form, error)
            else:  # (de)activation: no form was sent, the refusal is a message
                for message in error.messages:
                    messages.error(request, message)
        status = 400
    context = {
        "surface": surface,
        "base_template": f"{surface}/base.html",
        "member": membership,
        "form": form,
        "can_manage": actor.has(SURFACE_PERMS[surface][1])
        and access.may_manage_membership(actor, membership),
    }
    return render(request, "tenancy/team_member.html", context, status=status)


@login_required
@require_POST
def invitation_revoke(request, surface: str, invitation_uuid):
    actor = _team_actor(request, surface, manage=True)
    invitation = get_object_or_404(selectors.pending_invitations(actor), uuid=invitation_uuid)
    services.invitation_revoke(actor=actor, invitation=invitation)
    messages.success(request, _("Invitation revoked."))
    return redirect(f"{surface}_team")


# --- Invitations (accept) -------------------------------------------------------------------------


@never_cache
def invitation_accept(request, token: str):
    require_tenant(request)
    try:
        invitation = services.invitation_from_token(token)
    except Invitation.DoesNotExist as missing:
        raise Http404 from missing
    except ValidationError as error:
        return render(
            request, "tenancy/invitation_invalid.html", {"message": error.messages[0]}, status=400
        )
    existing_user = request.user if request.user.is_authenticated else None
    form = AcceptInvitationForm(request.POST or None) if existing_user is None else None
    status = 200
    if request.method == "POST":
        status = 400
        if form is None or form.is_valid():
            data = form.cleaned_data if form is not None else {}
            try:
                membership = services.invitation_accept(
                    invitation=invitation,
                    user=existing_user,
                    password=data.get("password1"),
                    full_name=data.get("full_name", ""),
                )
            except ValidationError as error:
                if form is None:
                    return render(
                        request,
                        "tenancy/invitation_invalid.html",
                        {"message": error.messages[0]},
                        status=400,
                    )
                apply_errors(form, error)
            except PermissionDenied as error:
                return render(
                    request, "tenancy/invitation_invalid.html", {"message": str(error)}, status=403
                )
            else:
                if existing_user is None:
                    login(
                        request,
                        membership.user,
                        backend="django.contrib.auth.backends.ModelBackend",
                    )
                messages.success(
                    request, _("Welcome to %(tenant)s!") % {"tenant": request.tenant.name}
                )
                return redirect("home")
    context = {"invitation": invitation, "form": form, "existing_user": existing_user}
    return render(request, "tenancy/invitation_accept.html", context, status=status)


# --- API keys (console and portal) ---------------------------------------------------------------


@login_required
def api_keys(request, surface: str):
    actor = require_tenant(request)
    access.require(actor, Perm.API_KEYS_MANAGE)
    if (surface == PORTAL) != actor.is_partner:
        raise PermissionDenied
    form = ApiKeyForm(request.POST or None, actor=actor)
    new_key = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                key, new_key = services.api_key_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
                status = 400
            else:
                messages.success(
                    request,
                    _("Key %(name)s created. Copy it now: it is shown only once.")
                    % {"name": key.name},
                )
                form = ApiKeyForm(actor=actor)
        else:
            status = 400
    context = {
        "base_template": f"{surface}/base.html",
        "surface": surface,
        "keys": selectors.api_keys(actor),
        "form": form,
        "new_key": new_key,
    }
    return render(request, "tenancy/api_keys.html", context, status=status)


@login_required
@require_POST
def api_key_revoke(request, surface: str, key_uuid):
    actor = require_tenant(request)
    access.require(actor, Perm.API_KEYS_MANAGE)
    key = get_object_or_404(selectors.api_keys(actor), uuid=key_uuid)
    services.api_key_revoke(actor=actor, key=key)
    messages.success(request, _("Key revoked."))
    return redirect(f"{surface}_api_keys")


# --- Audit log ---------------------------------------------------------------------------------


@login_required
def audit_log(request):
    actor = access.require_console(request, Perm.AUDIT_VIEW)
    from .audit import audit_describe

    page = page_window(request, selectors.audit_events(actor))
    rows = [(event, audit_describe(event)) for event in page]
    return render(request, "console/audit_log.html", {"page": page, "rows": rows})


# --- Mail log ----------------------------------------------------------------------------------


@login_required
@require_GET
def mail_log(request):
    """Every mail of the tenant (program admins) or about one's partners (channel managers):
    status, attempts, last error; filterable, paginated; unconfirmed and failed mail can be sent
    again."""
    from . import emails
    from .outbox import DeliveryStatus

    actor = require_console(request, Perm.PARTNERS_MANAGE)
    filters = {
        "status": request.GET.get("status", ""),
        "kind": request.GET.get("kind", ""),
        "q": request.GET.get("q", "")[:200],
    }
    if filters["status"] not in {"", "problem", *DeliveryStatus.values}:
        filters["status"] = ""
    rows = emails.emails_filtered(emails.emails_for(actor), **filters)
    page = page_window(request, rows)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "filters": filters,
        "query": query.urlencode(),
        "statuses": DeliveryStatus.choices,
        "kinds": sorted(
            ((key, str(label)) for key, label in emails.MAIL_KINDS.items()), key=lambda k: k[1]
        ),
    }
    return render(request, "console/mail_log.html", context)


@login_required
@require_GET
def mail_detail(request, email_uuid):
    from . import emails

    actor = require_console(request, Perm.PARTNERS_MANAGE)
    email = get_object_or_404(emails.emails_for(actor), uuid=email_uuid)
    return render(request, "console/mail_detail.html", {"email": email})


def _mail_action(request, email_uuid, service, success_message):
    from django.utils.http import url_has_allowed_host_and_scheme

    from . import emails

    actor = require_console(request, Perm.PARTNERS_MANAGE)
    email = get_object_or_404(emails.emails_for(actor), uuid=email_uuid)
    try:
        service(actor=actor, email=email)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success_message % {"to": email.recipient_email})
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("console_mail_log")


@login_required
@require_POST
def mail_send_again(request, email_uuid):
    from .emails import email_send_again

    return _mail_action(
        request, email_uuid, email_send_again, _("The email to %(to)s is queued again.")
    )


@login_required
@require_POST
def mail_mark_sent(request, email_uuid):
    from .emails import email_mark_sent

    return _mail_action(request, email_uuid, email_mark_sent, _("Email to %(to)s marked as sent."))


# --- Platform ----------------------------------------------------------------------------------


@require_GET
@never_cache
def favicon(request):
    """Browsers fetch /favicon.ico before reading the page's <link rel="icon">: send them to the
    static file (its hashed name in production), so no first page logs a 404."""
    from django.templatetags.static import static

    return redirect(static("favicon.ico"))


def healthz(request):
    """Status for anyone (load balancers); what failed and why only for operators."""
    from .health import health_report, may_see_health_details

    report = health_report()
    status = 200 if report["ok"] else 503
    if not may_see_health_details(request):
        return JsonResponse({"ok": report["ok"]}, status=status)
    return JsonResponse(report, status=status)


def dev_mailbox(request):
    """Sent mail in `make run` (DEBUG only; not routed otherwise). It holds password-reset and
    invitation links, so even in development only platform staff may read it."""
    from .mail import mailbox_messages

    if not settings.DEBUG:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not (request.user.is_active and (request.user.is_staff or request.user.is_superuser)):
        raise PermissionDenied(_("Only platform staff may read the development mailbox."))
    return render(request, "platform/mailbox.html", {"messages_sent": mailbox_messages()})
