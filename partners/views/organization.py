"""Partner organisations: the console directory, detail, profile edit, lifecycle moves, contacts and
recruitment board; the portal's own-organisation page; the public application form. Thin: access
check, one selector or service call, render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from tenancy import access, ratelimit
from tenancy import selectors as tenancy_selectors
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page
from tenancy.network import client_ip
from tenancy.ratelimit import parse_rate
from tenancy.views import apply_errors

from ..forms.filters import PartnerDirectoryFilter
from ..forms.organization import (
    HONEYPOT_FIELD,
    ApplicationForm,
    ContactForm,
    PartnerProfileForm,
    TransitionForm,
)
from ..models import LifecycleState, PartnerContact, PartnerOrganization, PartnerType, Region
from ..selectors import applications as application_selectors
from ..selectors import organization as selectors
from ..services import applications as application_services
from ..services import organization as services

DIRECTORY_PAGE_SIZE = 50
# Public application form: at most this many submissions per IP and tenant in any sliding hour.
APPLY_RATE = "5/h"
# Labels for the profile card's list fields (stored as codes).
PROFILE_LABELS = {"region_choices": Region.choices, "type_choices": PartnerType.choices}


def _partner_or_404(actor, partner_uuid) -> PartnerOrganization:
    try:
        return selectors.partner_for_actor(actor, partner_uuid)
    except PartnerOrganization.DoesNotExist:
        raise Http404 from None


# --- Console: directory and detail ---------------------------------------------------------------


DIRECTORY_SORTS = {
    "name": "name",
    "type": ("partner_type", "name"),
    "state": ("state_order", "name"),
    "tier": ("tier_order", "name"),
    "score": ("score_order", "name"),
    "manager": ("manager_order", "name"),
    "users": ("user_count", "name"),
    "created": ("created_at", "name"),
}
DIRECTORY_COLUMNS = [
    Column(_lazy("Name"), "name"),
    Column(_lazy("Domain"), "domain"),
    Column(_lazy("Type"), "get_partner_type_display"),
    Column(_lazy("State"), "get_state_display"),
    Column(_lazy("Tier"), "tier.name"),
    Column(_lazy("IPP score"), "ipp_score"),
    Column(_lazy("Regions"), lambda p: [str(Region(r).label) for r in p.regions if r in Region]),
    Column(
        _lazy("Channel manager"),
        lambda p: (
            (p.channel_manager.full_name or p.channel_manager.email) if p.channel_manager else ""
        ),
    ),
    Column(_lazy("Users"), "user_count"),
    Column(_lazy("Added"), "created_at"),
]


@login_required
def console_partner_list(request):
    """The directory: filters, sortable headers, pages and CSV export (list_page); changing a
    filter swaps the listing in place with htmx (a plain GET without JavaScript)."""
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    listing = list_page(
        request,
        selectors.directory_rows(actor),
        filterset_class=PartnerDirectoryFilter,
        sorts=DIRECTORY_SORTS,
        default_sort="name",
        columns=DIRECTORY_COLUMNS,
        filename="partners",
        page_size=DIRECTORY_PAGE_SIZE,
    )
    if listing.export is not None:
        return listing.export
    context = {
        "listing": listing,
        "page": listing.page,
        "partners": listing.page.object_list,
        "can_import": actor.has(Perm.PROGRAM_MANAGE),
    }
    if request.htmx:
        return render(request, "partners/organization/_directory_table.html", context)
    return render(request, "partners/console_list.html", context)


def _detail_or_404(actor, partner_uuid) -> PartnerOrganization:
    try:
        return selectors.partner_detail(actor, partner_uuid)
    except PartnerOrganization.DoesNotExist:
        raise Http404 from None


def _render_detail(request, actor, partner, *, contact_form=None, status=200):
    """The detail page; `contact_form` is a bound "Add a contact" form to show again (errors
    beside the fields, typed values kept)."""
    can_manage = access.may_manage_partner(actor, partner)
    if can_manage and contact_form is None:
        contact_form = ContactForm(partner=partner)
    return render(
        request,
        "partners/console_detail.html",
        {
            "partner": partner,
            "members": tenancy_selectors.team_members(actor, partner_organization_id=partner.pk),
            "can_manage": can_manage,
            "transitions": [
                (state, LifecycleState(state).label)
                for state in services.allowed_transitions(partner.state)
            ]
            if can_manage
            else [],
            "reason_required": services.REASON_REQUIRED,
            "contact_form": contact_form if can_manage else None,
            **PROFILE_LABELS,
        },
        status=status,
    )


@login_required
def console_partner_detail(request, partner_uuid):
    actor = access.require_console(request)
    return _render_detail(request, actor, _detail_or_404(actor, partner_uuid))


@login_required
def console_partner_edit(request, partner_uuid):
    actor = access.require_console(request, Perm.PARTNERS_MANAGE)
    partner = _partner_or_404(actor, partner_uuid)
    if not services.may_edit_profile(actor, partner):
        raise PermissionDenied(_("Only this partner's channel manager or an admin may."))
    can_assign = actor.has(Perm.PROGRAM_MANAGE)
    form = PartnerProfileForm(
        request.POST or None, partner=partner, actor=actor, can_assign=can_assign
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update_profile(actor=actor, partner=partner, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Profile saved."))
            return redirect("console_partner_detail", partner_uuid=partner.uuid)
    return render(
        request,
        "partners/organization/profile_edit.html",
        {"partner": partner, "form": form, "base_template": "console/base.html"},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def console_partner_transition(request, partner_uuid):
    """A lifecycle move from the detail page or the recruitment board (htmx: the board again)."""
    actor = access.require_console(request, Perm.PARTNERS_MANAGE)
    partner = _partner_or_404(actor, partner_uuid)
    form = TransitionForm(request.POST)
    from_board = request.POST.get("next") == "recruitment"
    error = None
    if not form.is_valid():
        error = _("Choose a valid lifecycle state.")
    else:
        try:
            partner = services.partner_transition(actor=actor, partner=partner, **form.cleaned_data)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if from_board and request.htmx:
        return _render_board(request, actor, error=error, error_partner=partner, status=200)
    if error:
        messages.error(request, error)
    else:
        messages.success(
            request,
            _("%(partner)s is now %(state)s.")
            % {"partner": partner.name, "state": partner.get_state_display()},
        )
    if from_board:
        return redirect("console_recruitment")
    return redirect("console_partner_detail", partner_uuid=partner.uuid)


@login_required
@require_POST
def console_partner_contact_add(request, partner_uuid):
    """Add a contact; bad input renders the detail page again with the form open, the errors
    beside the fields and the typed values kept (422)."""
    actor = access.require_console(request, Perm.PARTNERS_MANAGE)
    partner = _partner_or_404(actor, partner_uuid)
    form = ContactForm(request.POST, partner=partner)
    if form.is_valid():
        try:
            services.partner_contact_add(actor=actor, partner=partner, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
    if form.errors:
        partner = _detail_or_404(actor, partner_uuid)
        return _render_detail(request, actor, partner, contact_form=form, status=422)
    messages.success(request, _("Contact added."))
    return redirect("console_partner_detail", partner_uuid=partner.uuid)


@login_required
@require_POST
def console_partner_contact_remove(request, partner_uuid, contact_uuid):
    actor = access.require_console(request, Perm.PARTNERS_MANAGE)
    partner = _partner_or_404(actor, partner_uuid)
    try:
        contact = selectors.partner_contact_for(actor, partner, contact_uuid)
    except PartnerContact.DoesNotExist:
        raise Http404 from None
    services.partner_contact_remove(actor=actor, contact=contact)
    messages.success(request, _("Contact removed."))
    return redirect("console_partner_detail", partner_uuid=partner.uuid)


# --- Console: recruitment pipeline ---------------------------------------------------------------


def _render_board(request, actor, *, error=None, error_partner=None, status=200):
    columns = selectors.recruitment_pipeline(actor)
    for column in columns:
        for partner in column["partners"]:
            partner.can_manage = access.may_manage_partner(actor, partner)
    template = (
        "partners/organization/_pipeline_board.html"
        if request.htmx
        else "partners/organization/recruitment.html"
    )
    context = {
        "columns": columns,
        "error": error,
        "error_partner": error_partner,
        "to_review": application_selectors.applications_to_review(actor).count(),
    }
    return render(request, template, context, status=status)


@login_required
def console_recruitment(request):
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    return _render_board(request, actor)


# --- Portal: own organisation --------------------------------------------------------------------


def _own_organization(actor) -> PartnerOrganization:
    partner = selectors.own_organization(actor)
    if partner is None:
        raise Http404
    return partner


@login_required
def portal_organization(request):
    actor = access.require_portal(request)
    partner = _own_organization(actor)
    return render(
        request,
        "partners/portal_organization.html",
        {
            "partner": partner,
            "members": tenancy_selectors.team_members(actor, partner_organization_id=partner.pk),
            "can_edit": services.may_edit_profile(actor, partner),
            **PROFILE_LABELS,
        },
    )


@login_required
def portal_organization_edit(request):
    actor = access.require_portal(request, Perm.PARTNER_PROFILE_EDIT)
    partner = _own_organization(actor)
    form = PartnerProfileForm(request.POST or None, partner=partner, staff_only_fields=False)
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_update_profile(actor=actor, partner=partner, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Your organization's profile is saved."))
            return redirect("portal_organization")
    return render(
        request,
        "partners/organization/profile_edit.html",
        {"partner": partner, "form": form, "base_template": "portal/base.html"},
        status=400 if form.errors else 200,
    )


# --- Public: the application form ----------------------------------------------------------------


def _apply_rate_key(request) -> str:
    tenant = getattr(request, "tenant", None)
    return f"partners.apply:{tenant.pk if tenant else '-'}:{client_ip(request) or ''}"


class _OverTheLimit(Exception):
    pass


def partner_apply(request):
    """Anyone may apply at the tenant's host: no login, CSRF on, honeypot + rate limit. Whether
    the company is new or already known, the applicant sees the same thank-you page.

    The limit (APPLY_RATE per address and tenant) counts accepted applications and honeypot hits
    only: a form sent back with field errors uses none of it."""
    if getattr(request, "tenant", None) is None:
        raise Http404
    if request.method == "POST":
        limit, window = parse_rate(APPLY_RATE)
        key = _apply_rate_key(request)
        if not ratelimit.allowed(key, limit=limit, window=window):
            return render(request, "partners/public/apply_limited.html", status=429)
        if ApplicationForm.is_bot(request.POST):
            ratelimit.hit(key, limit=limit, window=window)
            return render(request, "partners/public/apply_rejected.html", status=400)
        form = ApplicationForm(request.POST)
        if form.is_valid():
            try:
                with transaction.atomic():
                    application_services.application_submit(
                        **form.cleaned_data, ip_address=client_ip(request)
                    )
                    # Counted with the application, atomically: a parallel request that took
                    # the last place rolls this one back.
                    if not ratelimit.hit(key, limit=limit, window=window):
                        raise _OverTheLimit
            except _OverTheLimit:
                return render(request, "partners/public/apply_limited.html", status=429)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect("partner_apply_done")
        return render(
            request,
            "partners/public/apply.html",
            {"form": form, "honeypot": HONEYPOT_FIELD},
            status=400,
        )
    return render(
        request,
        "partners/public/apply.html",
        {"form": ApplicationForm(), "honeypot": HONEYPOT_FIELD},
    )


def partner_apply_done(request):
    if getattr(request, "tenant", None) is None:
        raise Http404
    return render(request, "partners/public/apply_done.html")
