"""Partner agreements: drafts, publishing, signing in the portal, recording an offline signature,
and the signed-agreement PDF.

A version is numbered when its draft is created (the next number for its partner type); once
published its text never changes. A signature keeps the exact text signed and its SHA-256 and is
never updated by any service. Signing (either way) starts the partner's onboarding in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from partners.models import LifecycleState, PartnerOrganization
from partners.services import documents
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import get_request_meta, require_current_tenant
from tenancy.events import emit
from tenancy.uploads import sniff_upload, store_document_once

from ..models import AgreementSignature, AgreementTemplate, SignatureMethod
from ..selectors.agreements import AGREEMENT, templates_applying_to
from .workflow import onboarding_start

logger = logging.getLogger(__name__)

# Lifecycle states in which a partner may sign (it was approved into the program).
SIGNABLE_STATES = frozenset(
    {LifecycleState.APPROVED, LifecycleState.CONTRACTED, LifecycleState.ACTIVE}
)
MAX_CONTRACT_BYTES = 10 * 2**20


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- Versions ---------------------------------------------------------------------------------


def agreement_draft_create(
    *,
    actor: Actor,
    title: str,
    body: str,
    partner_type: str = "",
    summary_of_changes: str = "",
) -> AgreementTemplate:
    return documents.document_draft_create(
        AGREEMENT,
        actor=actor,
        title=title,
        body=body,
        partner_type=partner_type,
        summary_of_changes=summary_of_changes,
    )


def agreement_draft_update(
    *,
    actor: Actor,
    template: AgreementTemplate,
    title: str,
    body: str,
    partner_type: str | None = None,
    summary_of_changes: str = "",
) -> AgreementTemplate:
    """Edit a draft. Moving it to another partner type gives it that type's next number."""
    return documents.document_draft_update(
        AGREEMENT,
        actor=actor,
        document=template,
        title=title,
        body=body,
        partner_type=partner_type,
        summary_of_changes=summary_of_changes,
    )


def agreement_publish(*, actor: Actor, template: AgreementTemplate) -> AgreementTemplate:
    """Make a draft the current version for its partner type. Its text is frozen from now on."""
    return documents.document_publish(AGREEMENT, actor=actor, document=template)


# --- Signatures ---------------------------------------------------------------------------------


def _lock_partner(partner_id: int) -> PartnerOrganization:
    # Serialises signatures of one partner (the unique constraint stays the backstop).
    return PartnerOrganization.objects.select_for_update().get(pk=partner_id)


def _refuse_unless_signable(partner: PartnerOrganization, template: AgreementTemplate) -> None:
    if partner.state not in SIGNABLE_STATES:
        raise ValidationError(
            _("%(partner)s cannot sign the agreement while it is %(state)s.")
            % {"partner": partner.name, "state": partner.get_state_display().lower()}
        )
    if AgreementSignature.objects.filter(partner=partner, template=template).exists():
        raise ValidationError(
            {
                "template": _("%(partner)s has already signed version %(version)s.")
                % {"partner": partner.name, "version": template.version}
            }
        )


def _create_signature(signature: AgreementSignature) -> AgreementSignature:
    signature.full_clean(exclude=["contract_file"])
    try:
        with transaction.atomic():
            signature.save(force_insert=True)
    except IntegrityError as error:  # a concurrent signature of the same version won
        raise ValidationError(
            {"template": _("This version has already been signed for your organization.")}
        ) from error
    partner = signature.partner
    emit(
        "partner.signed",
        aggregate="partner",
        aggregate_uuid=partner.uuid,
        partner_uuid=partner.uuid,
        data={
            "partner": str(partner.uuid),
            "partner_name": partner.name,
            "agreement": signature.template.title,
            "version": signature.template.version,
            "signed_at": signature.signed_at.isoformat(),
            "signer_name": signature.signer_name,
            "method": signature.method,
        },
    )
    return signature


def agreement_sign(
    *,
    actor: Actor,
    template: AgreementTemplate,
    signer_name: str,
    signer_title: str,
    agree: bool,
) -> AgreementSignature:
    """A partner admin signs the current agreement for their organisation (click-through)."""
    signer_name = (signer_name or "").strip()
    signer_title = (signer_title or "").strip()

    def check() -> None:
        errors = {}
        if not agree:
            errors["agree"] = _("Tick the box to confirm you agree on behalf of your organization.")
        if not signer_name:
            errors["signer_name"] = _("Type your full name.")
        if not signer_title:
            errors["signer_title"] = _("Type your job title.")
        if errors:
            raise ValidationError(errors)

    def record(partner: PartnerOrganization, current: AgreementTemplate) -> AgreementSignature:
        _refuse_unless_signable(partner, current)
        meta = get_request_meta()
        signature = _create_signature(
            AgreementSignature(
                tenant=require_current_tenant(),
                partner=partner,
                template=current,
                method=SignatureMethod.CLICK_THROUGH,
                text_signed=current.body,
                text_sha256=text_sha256(current.body),
                signer_name=signer_name,
                signer_title=signer_title,
                signer_email=actor.user.email,
                signed_by=actor.user,
                signed_at=timezone.now(),
                ip_address=meta.get("ip") or None,
                user_agent=(meta.get("user_agent") or "")[:300],
            )
        )
        _store_pdf_at_signing(signature)
        audit_record(
            actor=actor,
            action="agreement.signed",
            target=signature,
            changes={
                "partner": partner.name,
                "version": current.version,
                "text_sha256": signature.text_sha256,
                "method": SignatureMethod.CLICK_THROUGH,
            },
        )
        onboarding_start(signature=signature)
        return signature

    return documents.document_accept(
        AGREEMENT, actor=actor, document=template, record=record, check=check
    )


def validate_contract(upload) -> None:
    """The offline contract must be a PDF (sniffed from its content, never its name), ≤ 10 MB."""
    sniff_upload(
        upload,
        allowed={"pdf"},
        max_bytes=MAX_CONTRACT_BYTES,
        field="contract",
        message=_("Upload the signed contract as a PDF file."),
    )


def _file_sha256(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _signed_at_for(signed_on: dt.date) -> dt.datetime:
    today = timezone.now().date()
    if signed_on > today:
        raise ValidationError({"signed_on": _("The signing date cannot be in the future.")})
    if signed_on == today:
        return timezone.now()
    return dt.datetime.combine(signed_on, dt.time(12, 0), tzinfo=dt.UTC)


@transaction.atomic
def agreement_record_offline(
    *,
    actor: Actor,
    partner: PartnerOrganization,
    template: AgreementTemplate,
    signer_name: str,
    signer_title: str,
    signer_email: str,
    signed_on: dt.date,
    contract,
) -> AgreementSignature:
    """Staff record a signature made on paper: the uploaded PDF contract is kept with its SHA-256
    and who recorded it."""
    access.require(actor, Perm.PARTNERS_MANAGE)
    if not access.may_manage_partner(actor, partner):
        raise PermissionDenied(_("Only this partner's channel manager or an admin can do this."))
    signer_name = (signer_name or "").strip()
    signer_title = (signer_title or "").strip()
    errors = {}
    if not signer_name:
        errors["signer_name"] = _("Enter the signer's full name.")
    if not signer_title:
        errors["signer_title"] = _("Enter the signer's job title.")
    if contract is None:
        errors["contract"] = _("Upload the signed contract.")
    if errors:
        raise ValidationError(errors)
    signed_at = _signed_at_for(signed_on)
    validate_contract(contract)
    partner = _lock_partner(partner.pk)
    if not templates_applying_to(partner).filter(pk=template.pk).exists():
        raise ValidationError(
            {"template": _("Choose a published version that applies to this partner.")}
        )
    _refuse_unless_signable(partner, template)
    signature = AgreementSignature(
        tenant=require_current_tenant(),
        partner=partner,
        template=template,
        method=SignatureMethod.OFFLINE,
        text_signed=template.body,
        text_sha256=text_sha256(template.body),
        signer_name=signer_name,
        signer_title=signer_title,
        signer_email=(signer_email or "").strip(),
        recorded_by=actor.user,
        signed_at=signed_at,
        contract_sha256=_file_sha256(contract),
        contract_filename=os.path.basename(getattr(contract, "name", "") or "contract.pdf")[:200],
    )
    signature.contract_file.save("contract.pdf", contract, save=False)
    stored_name = signature.contract_file.name
    # NOTE: the file is written before the row; a refused row removes it again.
    try:
        _create_signature(signature)
    except ValidationError:
        signature.contract_file.storage.delete(stored_name)
        raise
    _store_pdf_at_signing(signature)
    audit_record(
        actor=actor,
        action="agreement.recorded_offline",
        target=signature,
        changes={
            "partner": partner.name,
            "version": template.version,
            "signer": signer_name,
            "contract_sha256": signature.contract_sha256,
            "method": SignatureMethod.OFFLINE,
        },
    )
    onboarding_start(signature=signature)
    return signature


# --- PDF ------------------------------------------------------------------------------------------


def signature_html(signature: AgreementSignature) -> str:
    return render_to_string(
        "onboarding/agreements/signature_pdf.html",
        {"signature": signature, "template": signature.template, "tenant": signature.tenant},
    )


def signature_pdf(signature: AgreementSignature) -> bytes:
    """Render the signed agreement (used once per signature: see `signature_pdf_store`)."""
    import weasyprint

    # NOTE: no base_url and only https fetches: nothing in the agreement may read local files
    # (file://) or plain http; the sanitised Markdown keeps no images anyway.
    fetcher = weasyprint.URLFetcher(timeout=5, allowed_protocols=("https",))
    return weasyprint.HTML(string=signature_html(signature), url_fetcher=fetcher).write_pdf()


def signature_pdf_store(signature: AgreementSignature) -> AgreementSignature:
    """Render the signed agreement's PDF once and keep it with its SHA-256; a signature that
    already has its PDF is left alone. Called at signing; a signature from before stored PDFs
    (or whose rendering failed at signing) gets its PDF on the first download."""
    store_document_once(
        signature,
        file_field="pdf_file",
        sha_field="pdf_sha256",
        render=lambda: signature_pdf(signature),
    )
    return signature


def _store_pdf_at_signing(signature: AgreementSignature) -> None:
    # NOTE: a failed rendering must not undo a signature; the first download renders it then.
    try:
        with transaction.atomic():  # a savepoint: a failure leaves the signing transaction usable
            signature_pdf_store(signature)
    except Exception:
        logger.exception("Rendering the PDF of signature %s failed", signature.uuid)
