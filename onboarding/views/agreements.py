"""Partner agreements: console (versions, drafts, publish, a partner's signatures and offline
signature), portal (read and sign), and the signed-agreement PDF / uploaded contract downloads."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partners.models import PartnerOrganization
from partners.selectors.organization import partner_for_actor
from tenancy import access
from tenancy.access import Perm
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors, require_tenant

from ..forms.agreements import AgreementDraftForm, AgreementSignForm, OfflineSignatureForm
from ..models import AgreementSignature, SignatureMethod
from ..selectors import agreements as selectors
from ..services import agreements as services

# --- Console: versions ------------------------------------------------------------------------


@login_required
def console_agreements(request):
    """Versions grouped by partner type; program managers create a draft here."""
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_VIEW)
    can_manage = actor.has(Perm.PROGRAM_MANAGE)
    form = AgreementDraftForm() if can_manage else None
    status = 200
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
        form = AgreementDraftForm(request.POST)
        if form.is_valid():
            try:
                template = services.agreement_draft_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Draft saved. Review it, then publish it."))
                return redirect("console_agreement_detail", template_uuid=template.uuid)
        status = 400
    context = {
        "groups": selectors.templates_console_list(actor),
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "onboarding/agreements/console_list.html", context, status=status)


@login_required
def console_agreement_detail(request, template_uuid):
    """One version: its rendered text, the edit form while a draft, its signatures."""
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_VIEW)
    if request.method == "POST":
        access.require(actor, Perm.PROGRAM_MANAGE)
    template = get_object_or_404(selectors.templates_for(actor), uuid=template_uuid)
    is_draft = template.published_at is None
    can_edit = is_draft and actor.has(Perm.PROGRAM_MANAGE)
    form = AgreementDraftForm.for_template(template) if can_edit else None
    status = 200
    if request.method == "POST":
        form = AgreementDraftForm.for_template(template, request.POST)
        if form.is_valid():
            try:
                services.agreement_draft_update(actor=actor, template=template, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Draft saved."))
                return redirect("console_agreement_detail", template_uuid=template.uuid)
        status = 400
    signatures = list(selectors.template_signatures(actor, template)) if not is_draft else []
    current = None
    if not is_draft:
        current = (
            selectors.published_templates()
            .filter(partner_type=template.partner_type)
            .order_by("-version")
            .first()
        )
    context = {
        "template": template,
        "is_draft": is_draft,
        "is_current": current is not None and current.pk == template.pk,
        "can_edit": can_edit,
        "form": form,
        "signatures": signatures,
    }
    return render(request, "onboarding/agreements/console_detail.html", context, status=status)


@login_required
@require_POST
def console_agreement_publish(request, template_uuid):
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_MANAGE)
    template = get_object_or_404(selectors.templates_for(actor), uuid=template_uuid)
    try:
        template = services.agreement_publish(actor=actor, template=template)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Version %(version)s is published; partners now sign it.")
            % {"version": template.version},
        )
    return redirect("console_agreement_detail", template_uuid=template.uuid)


@login_required
@require_POST
def console_agreement_preview(request):
    """htmx: the draft's Markdown, rendered exactly as partners will see it."""
    actor = require_tenant(request)
    access.require(actor, Perm.PROGRAM_MANAGE)
    return render(
        request, "onboarding/agreements/_preview.html", {"body": request.POST.get("body", "")}
    )


# --- Console: one partner's agreement (offline signature) -------------------------------------


@login_required
def console_partner_agreement(request, partner_uuid):
    actor = require_tenant(request)
    access.require(actor, Perm.CONSOLE_VIEW)
    access.require(actor, Perm.PARTNERS_VIEW)
    try:
        partner = partner_for_actor(actor, partner_uuid)
    except PartnerOrganization.DoesNotExist:
        raise Http404 from None
    can_record = access.may_manage_partner(actor, partner)
    if request.method == "POST" and not can_record:
        access.require(actor, Perm.PARTNERS_MANAGE)
        raise PermissionDenied(_("Only this partner's channel manager or an admin can do this."))
    current = selectors.current_agreement_for(partner)
    templates = selectors.templates_applying_to(partner)
    form = OfflineSignatureForm(templates=templates, current=current) if can_record else None
    status = 200
    if request.method == "POST":
        form = OfflineSignatureForm(
            request.POST, request.FILES, templates=templates, current=current
        )
        if form.is_valid():
            try:
                services.agreement_record_offline(actor=actor, partner=partner, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Offline signature recorded. Onboarding has started."))
                return redirect("console_partner_agreement", partner_uuid=partner.uuid)
        status = 400
    signatures = list(selectors.partner_signatures(actor, partner))
    context = {
        "partner": partner,
        "current": current,
        "signed_current": current is not None
        and any(s.template_id == current.pk for s in signatures),
        "signatures": signatures,
        "can_record": can_record,
        "form": form,
    }
    return render(request, "onboarding/agreements/console_partner.html", context, status=status)


# --- Portal -------------------------------------------------------------------------------------


@login_required
def portal_agreement(request):
    """The organisation's current agreement and its signatures; the partner admin signs here."""
    actor = require_tenant(request)
    access.require(actor, Perm.PORTAL_VIEW)
    if request.method == "POST":
        access.require(actor, Perm.AGREEMENT_SIGN)
    partner = selectors.own_partner(actor)
    if partner is None:
        raise Http404
    current = selectors.current_agreement_for(partner)
    signatures = list(selectors.partner_signatures(actor, partner))
    signed_current = current is not None and any(s.template_id == current.pk for s in signatures)
    eligible = partner.state in services.SIGNABLE_STATES
    can_sign = (
        current is not None and not signed_current and eligible and actor.has(Perm.AGREEMENT_SIGN)
    )
    form = AgreementSignForm(organization_name=partner.name) if can_sign else None
    status = 200
    if request.method == "POST":
        if current is None:
            raise Http404
        form = AgreementSignForm(request.POST, organization_name=partner.name)
        if form.is_valid():
            try:
                services.agreement_sign(actor=actor, template=current, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Thank you: %(org)s signed version %(version)s of the agreement.")
                    % {"org": partner.name, "version": current.version},
                )
                return redirect("portal_agreement")
        status = 400
    context = {
        "partner": partner,
        "current": current,
        "signatures": signatures,
        "signed_current": signed_current,
        "eligible": eligible,
        "can_sign_role": actor.has(Perm.AGREEMENT_SIGN),
        "form": form,
    }
    return render(request, "onboarding/agreements/portal.html", context, status=status)


# --- Downloads ----------------------------------------------------------------------------------


def _pdf_response(signature: AgreementSignature) -> FileResponse:
    """The PDF stored when the agreement was signed (rendered now, once, for older signatures)."""
    services.signature_pdf_store(signature)
    name = slugify(signature.partner.name) or "partner"
    return stored_file_response(
        signature.pdf_file,
        filename=f"agreement-{name}-v{signature.template.version}.pdf",
        content_type="application/pdf",
        sha256=signature.pdf_sha256,
    )


def _contract_response(signature: AgreementSignature) -> FileResponse:
    if signature.method != SignatureMethod.OFFLINE:
        raise Http404
    return stored_file_response(
        signature.contract_file,
        filename=signature.contract_filename or "contract.pdf",
        content_type="application/pdf",
        sha256=signature.contract_sha256,
    )


def _portal_signature(request, signature_uuid) -> AgreementSignature:
    actor = require_tenant(request)
    access.require(actor, Perm.PORTAL_VIEW)
    return get_object_or_404(selectors.signatures_for(actor), uuid=signature_uuid)


def _console_signature(request, signature_uuid) -> AgreementSignature:
    actor = require_tenant(request)
    access.require(actor, Perm.CONSOLE_VIEW)
    access.require(actor, Perm.PARTNERS_VIEW)
    return get_object_or_404(selectors.signatures_for(actor), uuid=signature_uuid)


@login_required
@require_GET
def portal_signature_pdf(request, signature_uuid):
    return _pdf_response(_portal_signature(request, signature_uuid))


@login_required
@require_GET
def portal_signature_contract(request, signature_uuid):
    return _contract_response(_portal_signature(request, signature_uuid))


@login_required
@require_GET
def console_signature_pdf(request, signature_uuid):
    return _pdf_response(_console_signature(request, signature_uuid))


@login_required
@require_GET
def console_signature_contract(request, signature_uuid):
    return _contract_response(_console_signature(request, signature_uuid))
