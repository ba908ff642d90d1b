"""tiers: views. Console: tiers and program settings, tier proposals, a partner's revenue ledger
and tier page. Portal: the partner's tier and what it needs for the next one. Thin: one access
check, one service or selector call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import page_window
from tenancy.views import apply_errors, require_tenant

from ..forms.tiers import (
    ProgramSettingsForm,
    RevenueRecordForm,
    TierForm,
    TierProposalDecisionForm,
    TierSetForm,
)
from ..selectors import organization as partner_selectors
from ..selectors import tiers as selectors
from ..services import revenue as revenue_services
from ..services import tiers as services


def _visible_partner(actor, partner_uuid):
    """A partner the actor may see, else 404 (outsiders never learn it exists)."""
    return get_object_or_404(
        partner_selectors.partner_organizations_for(actor).select_related("tier"),
        uuid=partner_uuid,
    )


# --- Tiers and program settings ---------------------------------------------------------------


@login_required
def console_tiers(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    settings = selectors.program_settings_or_default()
    settings_form = ProgramSettingsForm(settings=settings, prefix="settings")
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        settings_form = ProgramSettingsForm(request.POST, prefix="settings")
        if settings_form.is_valid():
            try:
                services.program_settings_update(actor=actor, **settings_form.cleaned_data)
            except ValidationError as error:
                apply_errors(settings_form, error)
            else:
                messages.success(request, _("Program settings saved."))
                return redirect("console_tiers")
        status = 400
    context = {
        "tiers": selectors.tier_list(),
        "settings": settings,
        "settings_form": settings_form,
        "can_manage": can_manage,
        "max_tiers": services.MAX_TIERS,
    }
    return render(request, "partners/tiers/console_tiers.html", context, status=status)


@login_required
def console_tier_edit(request, tier_uuid=None):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    tier = get_object_or_404(selectors.tier_list(), uuid=tier_uuid) if tier_uuid else None
    form = TierForm(tier=tier)
    status = 200
    if request.method == "POST":
        form = TierForm(request.POST)
        if form.is_valid():
            try:
                tier = services.tier_save(actor=actor, tier=tier, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Tier %(name)s saved.") % {"name": tier.name})
                return redirect("console_tiers")
        status = 400
    context = {"form": form, "tier": tier}
    return render(request, "partners/tiers/console_tier_form.html", context, status=status)


# --- Proposals --------------------------------------------------------------------------------


@login_required
def console_tier_proposals(request):
    actor = access.require_console(request, Perm.PROGRAM_VIEW)
    pending = selectors.pending_tier_proposals(actor)
    recent = selectors.tier_proposals_for(actor).exclude(status="pending")[:20]
    context = {
        "page": page_window(request, pending),
        "recent": recent,
        "can_decide": actor.has(Perm.TIERS_DECIDE),
    }
    return render(request, "partners/tiers/console_proposals.html", context)


@login_required
@require_POST
def console_tier_proposal_decide(request, proposal_uuid):
    actor = access.require_console(request, Perm.TIERS_DECIDE)
    proposal = get_object_or_404(selectors.tier_proposals_for(actor), uuid=proposal_uuid)
    if not access.may_manage_partner(actor, proposal.partner):
        raise PermissionDenied(_("You may not decide for this partner."))
    form = TierProposalDecisionForm(request.POST)
    error_message = ""
    if form.is_valid():
        try:
            proposal = services.tier_proposal_decide(
                actor=actor,
                proposal=proposal,
                approve=form.approve,
                note=form.cleaned_data["note"],
            )
        except ValidationError as error:
            error_message = " ".join(error.messages)
    else:
        error_message = _("Choose approve or reject.")
    if request.htmx:
        context = {"proposal": proposal, "can_decide": True, "error": error_message}
        return render(
            request,
            "partners/tiers/_proposal_row.html",
            context,
            status=400 if error_message else 200,
        )
    if error_message:
        messages.error(request, error_message)
    else:
        messages.success(
            request,
            _("Proposal for %(partner)s %(status)s.")
            % {"partner": proposal.partner.name, "status": proposal.get_status_display().lower()},
        )
    return redirect("console_tier_proposals")


# --- A partner's tier page and revenue ledger -------------------------------------------------


@login_required
def console_partner_tier(request, partner_uuid):
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    partner = _visible_partner(actor, partner_uuid)
    tiers = selectors.tier_list()
    can_set = actor.has(Perm.PROGRAM_MANAGE) and access.may_manage_partner(actor, partner)
    form = TierSetForm(tiers=tiers) if can_set else None
    status = 200
    if request.method == "POST":
        if not can_set:
            raise PermissionDenied(_("Only a program admin sets a tier by hand."))
        form = TierSetForm(request.POST, tiers=tiers)
        if form.is_valid():
            try:
                services.tier_set(actor=actor, partner=partner, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Tier changed."))
                return redirect("console_partner_tier", partner_uuid=partner.uuid)
        status = 400
    context = {
        "partner": partner,
        "tier_progress": selectors.tier_progress(partner, tiers=list(tiers)),
        "history": selectors.tier_history(partner),
        "proposals": selectors.tier_proposals_for(actor).filter(partner=partner)[:10],
        "form": form,
        "can_manage": access.may_manage_partner(actor, partner),
    }
    return render(request, "partners/tiers/console_partner_tier.html", context, status=status)


@login_required
def console_partner_revenue(request, partner_uuid):
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    partner = _visible_partner(actor, partner_uuid)
    can_manage = access.may_manage_partner(actor, partner)
    settings = selectors.program_settings_or_default()
    form = RevenueRecordForm(currency=settings.currency) if can_manage else None
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("You may not record revenue for this partner."))
        form = RevenueRecordForm(request.POST, currency=settings.currency)
        if form.is_valid():
            try:
                revenue_services.revenue_record_create(
                    actor=actor, partner=partner, **form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Revenue recorded."))
                return redirect("console_partner_revenue", partner_uuid=partner.uuid)
        status = 400
    records = selectors.revenue_records_for(actor, partner=partner)
    context = {
        "partner": partner,
        "page": page_window(request, records),
        "totals": selectors.revenue_totals(partner),
        "trailing": selectors.trailing_revenue(partner, settings=settings),
        "settings": settings,
        "form": form,
    }
    return render(request, "partners/tiers/console_revenue.html", context, status=status)


@login_required
@require_GET
def tier_progress_fragment(request, partner_uuid):
    """The progress card alone (htmx), for vendor staff and for the partner's own users."""
    actor = require_tenant(request)
    access.require(actor, Perm.PARTNERS_VIEW)
    partner = _visible_partner(actor, partner_uuid)
    return render(
        request,
        "partners/tiers/_progress.html",
        {"progress": selectors.tier_progress(partner)},
    )


# --- Portal -----------------------------------------------------------------------------------


@login_required
def portal_tier(request):
    actor = access.require_portal(request)
    partner = get_object_or_404(
        partner_selectors.partner_organizations_for(actor).select_related("tier"),
        pk=actor.partner_organization_id,
    )
    tiers = list(selectors.tier_list())
    context = {
        "partner": partner,
        "tiers": tiers,
        "tier_progress": selectors.tier_progress(partner, tiers=tiers),
        "history": selectors.tier_history(partner),
    }
    return render(request, "partners/tiers/portal_tier.html", context)
