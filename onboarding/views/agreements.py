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
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from partners.models import PartnerOrganization
from partners.selectors.organization import partner_for_actor
from partners.views import documents
from tenancy import access
from tenancy.access import Perm
from tenancy.uploads import stored_file_response
from tenancy.views import apply_errors

from ..forms.agreements import AgreementDraftForm, AgreementSignForm, OfflineSignatureForm
from ..models import AgreementSignature, SignatureMethod
from ..selectors import agreements as selectors
from ..services import agreements as services
from .agreement_send import send_context

# --- Console: versions (the pages every versioned document shares) ----------------------------


PAGES = documents.DocumentPages(
    kind=selectors.AGREEMENT,
    form_class=AgreementDraftForm,
    list_url="console_agreements",
    detail_url="console_agreement_detail",
    publish_url="console_agreement_publish",
    heading=gettext_lazy("Partner agreements"),
    count_label=gettext_lazy("Signatures"),
    publish_confirm=gettext_lazy(
        "Publish this draft? Its text can never change afterwards and partners will sign it."
    ),
    published_message=gettext_lazy("Version %(version)s is published; partners now sign it."),
    versions_for=selectors.templates_for,
    console_list=selectors.templates_console_list,
    create=services.agreement_draft_create,
    update=lambda *, actor, document, **data: services.agreement_draft_update(
        actor=actor, template=document, **data
    ),
    publish=lambda *, actor, document: services.agreement_publish(actor=actor, template=document),
    detail_extra=lambda actor, template: {
        "signatures": list(selectors.template_signatures(actor, template))
    },
    detail_extra_template="onboarding/agreements/_version_signatures.html",
    group_label=lambda template: template.get_partner_type_display() or _("All partner types"),
)


@login_required
def console_agreements(request):
    return documents.console_list(request, PAGES)


@login_required
def console_agreement_detail(request, template_uuid):
    return documents.console_detail(request, PAGES, template_uuid)


@login_required
@require_POST
def console_agreement_publish(request, template_uuid):
    return documents.console_publish(request, PAGES, template_uuid)


@login_required
@require_POST
def console_agreement_preview(request):
    return documents.console_preview(request)


# --- Console: one partner's agreement (offline signature) -------------------------------------


@login_required
def console_partner_agreement(request, partner_uuid):
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
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
        **send_context(actor, partner, can_send=can_record),
    }
    return render(request, "onboarding/agreements/console_partner.html", context, status=status)


# --- Portal -------------------------------------------------------------------------------------


@login_required
def portal_agreement(request):
    """The organisation's current agreement and its signatures; the partner admin signs here."""
    actor = access.require_portal(request)
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
    actor = access.require_portal(request)
    return get_object_or_404(selectors.signatures_for(actor), uuid=signature_uuid)


def _console_signature(request, signature_uuid) -> AgreementSignature:
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
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
