"""Partner agreements over HTTP: console versions, portal signing, offline signatures and the PDF
and contract downloads, each with the owner / wrong-role (403) / other-tenant (404) trio."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from onboarding.models import AgreementSignature, AgreementTemplate, OnboardingRun
from onboarding.tests.factories import AgreementSignatureFactory, AgreementTemplateFactory
from partners.models import LifecycleState, PartnerType
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.tests.files import renamed_exe, stored_files

from .test_agreements_services import PDF_BYTES, approve, publish, record_offline, sign

pytestmark = pytest.mark.django_db


def detail_url(template):
    return reverse("console_agreement_detail", kwargs={"template_uuid": template.uuid})


def partner_url(partner):
    return reverse("console_partner_agreement", kwargs={"partner_uuid": partner.uuid})


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# --- Console: versions ------------------------------------------------------------------------


def test_console_lists_own_tenant_versions_grouped_by_type(acme, globex):
    generic = publish(acme, title="Acme generic")
    reseller = publish(acme, title="Acme reseller", partner_type=PartnerType.RESELLER)
    publish(globex, title="Globex agreement")
    response = acme.client(acme.admin).get(reverse("console_agreements"))
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g["partner_type"] for g in groups] == ["", PartnerType.RESELLER]
    assert [g["current"] for g in groups] == [generic, reseller]
    assert b"Globex agreement" not in response.content
    assert response.context["form"] is not None


def test_console_list_is_read_only_for_executives_and_closed_to_others(acme):
    response = acme.client(acme.executive).get(reverse("console_agreements"))
    assert response.status_code == 200 and response.context["form"] is None
    for user in (acme.sales, acme.partner_admin):
        assert acme.client(user).get(reverse("console_agreements")).status_code == 403


def test_console_list_query_count_is_flat(acme, django_assert_max_num_queries):
    for _ in range(3):
        publish(acme)
        publish(acme, partner_type=PartnerType.MSP)
    generic = AgreementTemplateFactory(tenant=acme.tenant, version=50)
    for partner in PartnerOrganizationFactory.create_batch(
        3, tenant=acme.tenant, state=LifecycleState.ACTIVE
    ):
        AgreementSignatureFactory(partner=partner, template=generic)
    client = acme.client(acme.admin)
    client.get(reverse("console_agreements"))  # warm the session / caches
    with django_assert_max_num_queries(8):
        assert client.get(reverse("console_agreements")).status_code == 200


def test_admin_creates_edits_and_publishes_a_draft(acme, in_tenant):
    client = acme.client(acme.admin)
    data = {"title": "Reseller agreement", "partner_type": PartnerType.RESELLER, "body": "# Hi"}
    response = client.post(reverse("console_agreements"), data)
    with in_tenant(acme.tenant):
        template = AgreementTemplate.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(template)
    assert template.version == 1 and template.published_at is None
    response = client.post(detail_url(template), {**data, "body": "# Edited"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.body == "# Edited"
    publish_url = reverse("console_agreement_publish", kwargs={"template_uuid": template.uuid})
    assert acme.client(acme.executive).post(publish_url).status_code == 403
    assert client.post(publish_url).status_code == 302
    template.refresh_from_db()
    assert template.published_at is not None
    # Published: the detail page offers no edit form and refuses edits.
    assert client.get(detail_url(template)).context["form"] is None
    response = client.post(detail_url(template), {**data, "body": "changed"})
    assert response.status_code == 400
    template.refresh_from_db()
    assert template.body == "# Edited"


def test_draft_create_refused_for_read_only_roles(acme, in_tenant):
    data = {"title": "T", "partner_type": "", "body": "B"}
    assert acme.client(acme.executive).post(reverse("console_agreements"), data).status_code == 403
    with in_tenant(acme.tenant):
        assert not AgreementTemplate.objects.exists()


def test_invalid_draft_shows_errors(acme):
    response = acme.client(acme.admin).post(
        reverse("console_agreements"), {"title": "Kept", "body": ""}
    )
    assert response.status_code == 400 and response.context["form"].errors["body"]


def test_console_detail_shows_text_and_signatures(acme, globex):
    approve(acme.partner)
    template = publish(acme, body="**Bold terms** <script>alert(1)</script>")
    sign(acme, template, name="Pat Signer")
    response = acme.client(acme.executive).get(detail_url(template))
    assert response.status_code == 200
    assert b"<strong>Bold terms</strong>" in response.content
    assert b"<script>alert" not in response.content
    assert [s.signer_name for s in response.context["signatures"]] == ["Pat Signer"]
    assert acme.client(acme.partner_admin).get(detail_url(template)).status_code == 403
    assert acme.client(acme.admin).get(detail_url(publish(globex))).status_code == 404


# --- Portal -------------------------------------------------------------------------------------


def test_partner_admin_signs_in_the_portal(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme, body="Portal terms")
    client = acme.client(acme.partner_admin)
    response = client.get(reverse("portal_agreement"))
    assert response.status_code == 200 and response.context["form"] is not None
    assert acme.partner.name.encode() in response.content
    response = client.post(
        reverse("portal_agreement"),
        {"signer_name": "Pat Signer", "signer_title": "CEO", "agree": "on"},
        REMOTE_ADDR="198.51.100.4",
        HTTP_USER_AGENT="Portal browser",
    )
    assert response.status_code == 302
    with in_tenant(acme.tenant):
        signature = AgreementSignature.objects.get()
        assert OnboardingRun.objects.filter(partner=acme.partner).count() == 1
    assert signature.template == template and signature.ip_address == "198.51.100.4"
    assert signature.user_agent == "Portal browser"
    response = client.get(reverse("portal_agreement"))
    assert response.context["form"] is None and response.context["signed_current"]
    assert b"Pat Signer" in response.content


def test_unticked_box_shows_a_field_error(acme, in_tenant):
    approve(acme.partner)
    publish(acme)
    response = acme.client(acme.partner_admin).post(
        reverse("portal_agreement"), {"signer_name": "Pat", "signer_title": "CEO"}
    )
    assert response.status_code == 400 and response.context["form"].errors["agree"]
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()


def test_other_partner_roles_read_but_may_not_sign(acme, in_tenant):
    approve(acme.partner)
    publish(acme)
    client = acme.client(acme.partner_sales)
    response = client.get(reverse("portal_agreement"))
    assert response.status_code == 200 and response.context["form"] is None
    assert b"Your partner admin signs it" in response.content
    data = {"signer_name": "Sam", "signer_title": "Sales", "agree": "on"}
    assert client.post(reverse("portal_agreement"), data).status_code == 403
    assert acme.client(acme.admin).get(reverse("portal_agreement")).status_code == 403
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()


def test_portal_hides_the_form_while_the_partner_is_not_approved(acme):
    publish(acme)  # world.partner is a prospect
    response = acme.client(acme.partner_admin).get(reverse("portal_agreement"))
    assert response.status_code == 200 and response.context["form"] is None
    assert b"approved into the program" in response.content


def test_portal_shows_only_own_tenant_and_org_signatures(acme, globex):
    approve(acme.partner)
    approve(acme.other_partner)
    template = publish(acme)
    sign(acme, template, name="Mine")
    sign(acme, template, user=acme.other_partner_admin, name="Other org")
    approve(globex.partner)
    sign(globex, publish(globex), name="Globex signer")
    response = acme.client(acme.partner_marketing).get(reverse("portal_agreement"))
    assert [s.signer_name for s in response.context["signatures"]] == ["Mine"]


# --- Offline signature (console) ----------------------------------------------------------------


def offline_data(template, **extra):
    return {
        "template": template.pk,
        "signer_name": "Olga Offline",
        "signer_title": "Director",
        "signer_email": "olga@partner.example",
        "signed_on": timezone.now().date().isoformat(),
        "contract": SimpleUploadedFile("signed.pdf", PDF_BYTES, content_type="application/pdf"),
        **extra,
    }


def test_channel_manager_records_an_offline_signature(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme)
    client = acme.client(acme.manager)
    response = client.get(partner_url(acme.partner))
    assert response.status_code == 200 and response.context["form"] is not None
    assert response.context["form"]["template"].initial == template.pk
    response = client.post(partner_url(acme.partner), offline_data(template))
    assert response.status_code == 302
    with in_tenant(acme.tenant):
        signature = AgreementSignature.objects.get()
        assert OnboardingRun.objects.filter(partner=acme.partner).count() == 1
    assert signature.method == "offline" and signature.contract_filename == "signed.pdf"
    assert signature.recorded_by == acme.manager


def test_offline_non_pdf_shows_a_field_error(acme, in_tenant, settings):
    approve(acme.partner)
    template = publish(acme)
    response = acme.client(acme.admin).post(
        partner_url(acme.partner), offline_data(template, contract=renamed_exe("contract.pdf"))
    )
    assert response.status_code == 400
    assert response.context["form"].errors["contract"] == [
        "Upload the signed contract as a PDF file."
    ]
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_offline_signature_refused_for_wrong_roles_and_other_tenants(acme, globex, in_tenant):
    approve(acme.partner)
    approve(acme.other_partner)
    template = publish(acme)
    # Executives read the page but may not record; the manager does not manage other_partner.
    response = acme.client(acme.executive).get(partner_url(acme.partner))
    assert response.status_code == 200 and response.context["form"] is None
    assert (
        acme.client(acme.executive).post(partner_url(acme.partner), offline_data(template))
    ).status_code == 403
    assert (
        acme.client(acme.marketing).post(partner_url(acme.other_partner), offline_data(template))
    ).status_code == 403
    assert acme.client(acme.manager).get(partner_url(acme.other_partner)).status_code == 404
    assert acme.client(acme.partner_admin).get(partner_url(acme.partner)).status_code == 403
    assert acme.client(acme.admin).get(partner_url(globex.partner)).status_code == 404
    with in_tenant(acme.tenant):
        assert not AgreementSignature.objects.exists()


# --- Downloads ----------------------------------------------------------------------------------


def test_signature_pdf_has_the_signed_text_signer_and_hash(acme):
    approve(acme.partner)
    template = publish(acme, title="Master partner agreement", body="# Terms\n\nPay on time.")
    signature = sign(acme, template, name="Patricia Signwell", title="Chief Executive")
    url = reverse("portal_signature_pdf", kwargs={"signature_uuid": signature.uuid})
    response = acme.client(acme.partner_sales).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    assert content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Patricia Signwell" in text and "Chief Executive" in text
    assert signature.text_sha256 in text.replace("\n", "").replace(" ", "")
    assert "Master partner agreement" in text and "Pay on time." in text
    assert acme.tenant.name in text
    console_url = reverse("console_signature_pdf", kwargs={"signature_uuid": signature.uuid})
    response = acme.client(acme.manager).get(console_url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content  # the one stored document


def test_signature_pdf_trio(acme, globex):
    approve(acme.partner)
    approve(acme.other_partner)
    template = publish(acme)
    mine = sign(acme, template)
    others = sign(acme, template, user=acme.other_partner_admin)
    approve(globex.partner)
    foreign = sign(globex, publish(globex))

    def portal(sig):
        return reverse("portal_signature_pdf", kwargs={"signature_uuid": sig.uuid})

    def console(sig):
        return reverse("console_signature_pdf", kwargs={"signature_uuid": sig.uuid})

    # Another organisation's or tenant's signature does not exist for this partner user.
    assert acme.client(acme.partner_admin).get(portal(others)).status_code == 404
    assert acme.client(acme.partner_admin).get(portal(foreign)).status_code == 404
    # Partner users have no console; direct sales no partner data.
    assert acme.client(acme.partner_admin).get(console(mine)).status_code == 403
    assert acme.client(acme.sales).get(console(mine)).status_code == 403
    # The channel manager of world.partner does not see other_partner's signature.
    assert acme.client(acme.manager).get(console(others)).status_code == 404
    assert acme.client(acme.executive).get(console(others)).status_code == 200
    assert acme.client(acme.admin).get(console(foreign)).status_code == 404


def test_offline_contract_download(acme):
    approve(acme.partner)
    template = publish(acme)
    offline = record_offline(acme, template)
    clicked = AgreementSignatureFactory(partner=acme.other_partner, template=template)
    portal = reverse("portal_signature_contract", kwargs={"signature_uuid": offline.uuid})
    response = acme.client(acme.partner_admin).get(portal)
    assert response.status_code == 200
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == (
        offline.contract_sha256
    )
    console = reverse("console_signature_contract", kwargs={"signature_uuid": offline.uuid})
    assert acme.client(acme.manager).get(console).status_code == 200
    assert acme.client(acme.partner_admin).get(console).status_code == 403
    assert acme.client(acme.other_partner_admin).get(portal).status_code == 404
    # A click-through signature has no contract.
    no_contract = reverse("console_signature_contract", kwargs={"signature_uuid": clicked.uuid})
    assert acme.client(acme.admin).get(no_contract).status_code == 404


def test_console_partner_page_query_count_is_flat(acme, django_assert_max_num_queries):
    approve(acme.partner)
    for _ in range(4):
        template = AgreementTemplateFactory(tenant=acme.tenant)
        AgreementSignatureFactory(partner=acme.partner, template=template)
    client = acme.client(acme.admin)
    client.get(partner_url(acme.partner))
    with django_assert_max_num_queries(13):  # + the bell
        assert client.get(partner_url(acme.partner)).status_code == 200


def test_console_detail_query_count_is_flat(acme, django_assert_max_num_queries):
    template = AgreementTemplateFactory(tenant=acme.tenant)
    for partner in PartnerOrganizationFactory.create_batch(5, tenant=acme.tenant):
        AgreementSignatureFactory(partner=partner, template=template, recorded_by=acme.admin)
    client = acme.client(acme.admin)
    client.get(detail_url(template))
    with django_assert_max_num_queries(9):
        response = client.get(detail_url(template))
    assert response.status_code == 200 and len(response.context["signatures"]) == 5


def test_draft_preview_is_sanitised_and_for_managers_only(acme):
    url = reverse("console_agreement_preview")
    response = acme.client(acme.admin).post(url, {"body": "**ok** <script>alert(1)</script>"})
    assert response.status_code == 200
    assert b"<strong>ok</strong>" in response.content and b"<script" not in response.content
    assert acme.client(acme.executive).post(url, {"body": "x"}).status_code == 403
    assert acme.client(acme.partner_admin).post(url, {"body": "x"}).status_code == 403
