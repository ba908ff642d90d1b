"""Partner agreements through the services: versions, publishing, signing in the portal, offline
signatures, and the onboarding run a signature starts."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onboarding.models import AgreementSignature, AgreementTemplate, OnboardingRun
from onboarding.selectors.agreements import current_agreement_for
from onboarding.services import agreements as services
from onboarding.tests.factories import AgreementSignatureFactory, AgreementTemplateFactory
from partners.models import LifecycleState, PartnerType
from tenancy.access import actor_for_user
from tenancy.context import request_meta_context, tenant_context
from tenancy.models import AuditEvent
from tenancy.tests.files import stored_files

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def actor(world, user):
    return actor_for_user(user, world.tenant)


def approve(partner, state=LifecycleState.APPROVED):
    partner.state = state
    partner.save(update_fields=["state"])
    return partner


def publish(world, *, body="# Terms\n\nThe partner agrees.", partner_type="", title="Agreement"):
    with tenant_context(world.tenant):
        admin = actor(world, world.admin)
        template = services.agreement_draft_create(
            actor=admin, title=title, body=body, partner_type=partner_type
        )
        return services.agreement_publish(actor=admin, template=template)


def sign(world, template, *, user=None, agree=True, name="Pat Signer", title="CEO"):
    with tenant_context(world.tenant):
        return services.agreement_sign(
            actor=actor(world, user or world.partner_admin),
            template=template,
            signer_name=name,
            signer_title=title,
            agree=agree,
        )


def contract(content=PDF_BYTES, name="contract.pdf"):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def record_offline(world, template, *, user=None, upload=None, signed_on=None, partner=None):
    with tenant_context(world.tenant):
        return services.agreement_record_offline(
            actor=actor(world, user or world.admin),
            partner=partner or world.partner,
            template=template,
            signer_name="Olga Offline",
            signer_title="Managing director",
            signer_email="olga@partner.example",
            signed_on=signed_on or timezone.now().date(),
            contract=upload if upload is not None else contract(),
        )


# --- Versions -------------------------------------------------------------------------------------


def test_versions_are_numbered_per_partner_type(acme):
    generic_1 = publish(acme)
    generic_2 = publish(acme)
    reseller_1 = publish(acme, partner_type=PartnerType.RESELLER)
    assert (generic_1.version, generic_2.version, reseller_1.version) == (1, 2, 1)


def test_current_agreement_prefers_the_partner_type_then_all_types(acme, in_tenant):
    with in_tenant(acme.tenant):
        assert current_agreement_for(acme.partner) is None
    generic = publish(acme)
    with in_tenant(acme.tenant):
        assert current_agreement_for(acme.partner) == generic
    AgreementTemplateFactory(tenant=acme.tenant, partner_type=PartnerType.RESELLER, draft=True)
    with in_tenant(acme.tenant):
        assert current_agreement_for(acme.partner) == generic  # drafts never count
    reseller = publish(acme, partner_type=PartnerType.RESELLER)
    publish(acme, partner_type=PartnerType.MSP)
    with in_tenant(acme.tenant):
        assert acme.partner.partner_type == PartnerType.RESELLER
        assert current_agreement_for(acme.partner) == reseller


def test_published_text_cannot_change(acme):
    template = publish(acme, body="Original text")
    with tenant_context(acme.tenant), pytest.raises(ValidationError):
        services.agreement_draft_update(
            actor=actor(acme, acme.admin), template=template, title="New", body="Changed"
        )
    template.refresh_from_db()
    assert template.body == "Original text"
    with tenant_context(acme.tenant), pytest.raises(ValidationError):
        services.agreement_publish(actor=actor(acme, acme.admin), template=template)


def test_only_program_managers_write_versions(acme):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        services.agreement_draft_create(
            actor=actor(acme, acme.executive), title="T", body="B", partner_type=""
        )
    with tenant_context(acme.tenant):
        assert not AgreementTemplate.objects.exists()


# --- Signing in the portal --------------------------------------------------------------------


def test_sign_stores_exact_text_hash_signer_and_request_meta(acme, in_tenant):
    approve(acme.partner)
    body = "# Agreement\n\nÜnïcode terms — **bold**.\n"
    template = publish(acme, body=body)
    with request_meta_context({"ip": "203.0.113.7", "user_agent": "Firefox/130"}):
        signature = sign(acme, template, name="  Pat Signer ", title="CEO")
    assert signature.text_signed == body
    assert signature.text_sha256 == hashlib.sha256(body.encode("utf-8")).hexdigest()
    assert signature.signer_name == "Pat Signer" and signature.signer_title == "CEO"
    assert signature.signed_by == acme.partner_admin
    assert signature.signer_email == acme.partner_admin.email
    assert signature.ip_address == "203.0.113.7" and signature.user_agent == "Firefox/130"
    assert signature.partner == acme.partner and signature.method == "click"
    with in_tenant(acme.tenant):
        event = AuditEvent.objects.get(action="agreement.signed")
        assert event.target_id == str(signature.uuid)
        run = OnboardingRun.objects.get(partner=acme.partner)
        assert run.signature == signature


def test_signed_text_survives_as_signed(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme, body="Version one text")
    signature = sign(acme, template)
    # A published version's body is frozen; even a direct row change does not touch the
    # signature's own copy of the text.
    with in_tenant(acme.tenant):
        AgreementTemplate.objects.filter(pk=template.pk).update(body="tampered")
        signature.refresh_from_db()
    assert signature.text_signed == "Version one text"
    assert signature.text_sha256 == services.text_sha256("Version one text")


def test_unchecked_box_and_blank_names_are_refused_with_field_errors(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme)
    with pytest.raises(ValidationError) as error:
        sign(acme, template, agree=False, name=" ", title="")
    assert set(error.value.message_dict) == {"agree", "signer_name", "signer_title"}
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()
        assert not OnboardingRun.objects.exists()


def test_signing_twice_is_refused(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme)
    sign(acme, template)
    with pytest.raises(ValidationError) as error:
        sign(acme, template)
    assert "template" in error.value.message_dict
    with in_tenant(acme.tenant):
        assert AgreementSignature.objects.count() == 1


def test_database_refuses_a_duplicate_signature(acme):
    signature = AgreementSignatureFactory(partner=acme.partner)
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AgreementSignatureFactory(partner=acme.partner, template=signature.template)


def test_only_the_current_version_can_be_signed(acme):
    approve(acme.partner)
    old = publish(acme)
    publish(acme)
    draft = AgreementTemplateFactory(tenant=acme.tenant, draft=True, version=9)
    for template in (old, draft):
        with pytest.raises(ValidationError) as error:
            sign(acme, template)
        assert "template" in error.value.message_dict


@pytest.mark.parametrize(
    "state", [LifecycleState.PROSPECT, LifecycleState.APPLIED, LifecycleState.SUSPENDED]
)
def test_ineligible_partner_state_is_refused(acme, in_tenant, state):
    approve(acme.partner, state)
    template = publish(acme)
    with pytest.raises(ValidationError):
        sign(acme, template)
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()


@pytest.mark.parametrize("state", [LifecycleState.CONTRACTED, LifecycleState.ACTIVE])
def test_contracted_and_active_partners_may_sign(acme, state):
    approve(acme.partner, state)
    assert sign(acme, publish(acme)).pk


def test_only_partner_admins_sign(acme):
    approve(acme.partner)
    template = publish(acme)
    for user in (acme.partner_sales, acme.partner_marketing, acme.admin):
        with pytest.raises(PermissionDenied):
            sign(acme, template, user=user)


def test_onboarding_starts_once_across_versions(acme, in_tenant):
    approve(acme.partner)
    first = sign(acme, publish(acme))
    second = sign(acme, publish(acme))
    with in_tenant(acme.tenant):
        runs = list(OnboardingRun.objects.filter(partner=acme.partner))
        assert AgreementSignature.objects.filter(partner=acme.partner).count() == 2
    assert len(runs) == 1 and runs[0].signature == first and second.template.version == 2


# --- Offline signatures -------------------------------------------------------------------------


def test_offline_signature_keeps_contract_and_starts_onboarding(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme, body="Paper terms")
    signature = record_offline(acme, template, user=acme.manager)
    assert signature.method == "offline" and signature.recorded_by == acme.manager
    assert signature.signed_by is None
    assert signature.text_signed == "Paper terms"
    assert signature.contract_sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert signature.contract_file.read() == PDF_BYTES
    with in_tenant(acme.tenant):
        assert OnboardingRun.objects.filter(partner=acme.partner).count() == 1
        assert AuditEvent.objects.filter(action="agreement.recorded_offline").count() == 1


def test_offline_signature_may_be_an_older_version_with_a_past_date(acme):
    approve(acme.partner)
    old = publish(acme)
    publish(acme)
    signature = record_offline(acme, old, signed_on=dt.date(2026, 1, 15))
    assert signature.template == old
    assert signature.signed_at == dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)


def test_offline_non_pdf_is_refused(acme, in_tenant, tmp_path):
    approve(acme.partner)
    template = publish(acme)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    for upload in (contract(png, "contract.pdf"), contract(b"just text", "contract.pdf")):
        with pytest.raises(ValidationError) as error:
            record_offline(acme, template, upload=upload)
        assert "contract" in error.value.message_dict
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()
    assert not any(tmp_path.rglob("*.pdf"))


def test_offline_too_large_or_future_date_is_refused(acme, monkeypatch):
    approve(acme.partner)
    template = publish(acme)
    monkeypatch.setattr(services, "MAX_CONTRACT_BYTES", 100)
    with pytest.raises(ValidationError) as error:
        record_offline(acme, template, upload=contract(PDF_BYTES + b"%" * 200))
    assert "contract" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        record_offline(acme, template, signed_on=timezone.now().date() + dt.timedelta(days=1))
    assert "signed_on" in error.value.message_dict


def test_offline_already_signed_is_refused_and_file_removed(acme, settings):
    approve(acme.partner)
    template = publish(acme)
    sign(acme, template)
    before = stored_files(settings.MEDIA_ROOT)  # the signed agreement's PDF
    with pytest.raises(ValidationError) as error:
        record_offline(acme, template)
    assert "template" in error.value.message_dict
    assert stored_files(settings.MEDIA_ROOT) == before


def test_offline_needs_the_partners_manager_or_an_admin(acme):
    approve(acme.partner)
    approve(acme.other_partner)
    template = publish(acme)
    # The channel manager manages world.partner only.
    with pytest.raises(PermissionDenied):
        record_offline(acme, template, user=acme.manager, partner=acme.other_partner)
    for user in (acme.executive, acme.marketing, acme.partner_admin):
        with pytest.raises(PermissionDenied):
            record_offline(acme, template, user=user)
    assert record_offline(acme, template, partner=acme.other_partner).recorded_by == acme.admin
