"""Rules of engagement: console (versions, drafts, publish, who accepted), portal (read, accept)
and the public page at the tenant host."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.network import client_ip
from tenancy.views import apply_errors, require_tenant

from ..forms.roe import RulesDraftForm
from ..selectors import roe as selectors
from ..services import roe as services

# --- Console ----------------------------------------------------------------------------------


@login_required
def console_roe(request):
    """Versions list; program managers create a draft here."""
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = RulesDraftForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = RulesDraftForm(request.POST)
        if form.is_valid():
            try:
                rules = services.roe_draft_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Draft saved. Preview it, then publish it."))
                return redirect("console_roe_detail", rules_uuid=rules.uuid)
        status = 400
    context = {
        "versions": selectors.rules_console_list(actor),
        "current": selectors.current_rules(),
        "partner_admin_count": selectors.active_partner_admin_count(),
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "partners/roe/console_list.html", context, status=status)


@login_required
def console_roe_detail(request, rules_uuid):
    """One version: the rendered text; a draft's edit form; a published version's acceptances."""
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_VIEW)
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
    rules = get_object_or_404(selectors.rules_for(actor), uuid=rules_uuid)
    is_draft = rules.published_at is None
    can_edit = is_draft and actor.has(Perm.PROGRAM_MANAGE)
    form = RulesDraftForm.for_rules(rules) if can_edit else None
    status = 200
    if request.method == "POST":
        form = RulesDraftForm.for_rules(rules, request.POST)
        if form.is_valid():
            try:
                services.roe_draft_update(actor=actor, rules=rules, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console_roe_detail", rules_uuid=rules.uuid)
        status = 400
    current = selectors.current_rules()
    context = {
        "rules": rules,
        "is_draft": is_draft,
        "is_current": current is not None and current.pk == rules.pk,
        "can_edit": can_edit,
        "form": form,
        "overview": selectors.acceptance_overview(actor, rules),
    }
    return render(request, "partners/roe/console_detail.html", context, status=status)


@login_required
@require_POST
def console_roe_publish(request, rules_uuid):
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_MANAGE)
    rules = get_object_or_404(selectors.rules_for(actor), uuid=rules_uuid)
    try:
        rules = services.roe_publish(actor=actor, rules=rules)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Version %(version)s is now current. Partner admins are asked to accept it.")
            % {"version": rules.version},
        )
    return redirect("console_roe_detail", rules_uuid=rules.uuid)


@login_required
@require_POST
def console_roe_preview(request):
    """htmx: the Markdown of the edit form, rendered exactly as partners will see it."""
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_MANAGE)
    return render(request, "partners/roe/_preview.html", {"body": request.POST.get("body", "")})


# --- Portal -------------------------------------------------------------------------------------


@login_required
@require_GET
def portal_roe(request):
    actor = require_tenant(request)
    access.require(actor, Perm.PORTAL_VIEW)
    rules = selectors.current_rules()
    context = {
        "rules": rules,
        "can_accept": actor.has(Perm.ROE_ACCEPT),
        "accepted_by_me": rules is not None and selectors.has_accepted(actor, rules),
        "organization_acceptances": (
            selectors.organization_acceptances(actor, rules) if rules is not None else []
        ),
    }
    return render(request, "partners/roe/portal.html", context)


@login_required
@require_POST
def portal_roe_accept(request, rules_uuid):
    actor = require_tenant(request)
    access.require(actor, Perm.ROE_ACCEPT)
    rules = get_object_or_404(selectors.published_rules(), uuid=rules_uuid)
    try:
        _acceptance, created = services.roe_accept(
            actor=actor, rules=rules, ip_address=client_ip(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(
                request,
                _("Thank you: you accepted version %(version)s for %(org)s.")
                % {"version": rules.version, "org": actor.membership.partner_organization},
            )
        else:
            messages.info(request, _("You had already accepted this version."))
    return redirect("portal_roe")


# --- Public (tenant host, no login) ----------------------------------------------------------


@require_GET
def public_roe(request):
    require_tenant(request)
    rules = selectors.current_rules()
    return render(
        request,
        "partners/roe/public.html",
        {"rules": rules, "versions": selectors.published_rules(), "is_current": True},
    )


@require_GET
def public_roe_version(request, version: int):
    require_tenant(request)
    rules = get_object_or_404(selectors.published_rules(), version=version)
    current = selectors.current_rules()
    return render(
        request,
        "partners/roe/public.html",
        {
            "rules": rules,
            "versions": selectors.published_rules(),
            "is_current": current is not None and current.pk == rules.pk,
        },
    )
