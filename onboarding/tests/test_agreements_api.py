"""Partner agreements API: versions (drafts, publish) and signatures (scoped reads, sign), with the
owner / wrong-role (403) / other-tenant (404) trio, and the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from onboarding.models import AgreementSignature, OnboardingRun
from onboarding.tests.factories import AgreementSignatureFactory, AgreementTemplateFactory
from partners.models import PartnerType

from .test_agreements_services import approve, publish, sign

pytestmark = pytest.mark.django_db

TEMPLATES = "/api/v1/agreement-templates/"
SIGNATURES = "/api/v1/agreement-signatures/"


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- Versions -------------------------------------------------------------------------------------


def test_program_staff_list_all_versions_partners_only_theirs(acme, globex):
    generic = publish(acme)
    reseller = publish(acme, partner_type=PartnerType.RESELLER)
    msp = publish(acme, partner_type=PartnerType.MSP)
    draft = AgreementTemplateFactory(tenant=acme.tenant, draft=True, version=7)
    publish(globex)
    response = acme.api(acme.executive).get(TEMPLATES)
    assert response.status_code == 200
    assert ids(response) == {str(t.uuid) for t in (generic, reseller, msp, draft)}
    # world.partner is a reseller: the all-types and reseller versions, never drafts.
    response = acme.api(acme.partner_sales).get(TEMPLATES)
    assert response.status_code == 200
    assert ids(response) == {str(generic.uuid), str(reseller.uuid)}
    assert acme.api(acme.partner_sales).get(f"{TEMPLATES}{msp.uuid}/").status_code == 404
    assert acme.api(acme.partner_admin).get(f"{TEMPLATES}{draft.uuid}/").status_code == 404
    assert acme.api(acme.sales).get(TEMPLATES).status_code == 403
    detail = acme.api(acme.admin).get(f"{TEMPLATES}{generic.uuid}/")
    assert detail.status_code == 200 and detail.json()["status"] == "published"
    foreign = publish(globex)
    assert acme.api(acme.admin).get(f"{TEMPLATES}{foreign.uuid}/").status_code == 404


def test_admin_creates_patches_and_publishes_a_draft(acme):
    api = acme.api(acme.admin)
    response = api.post(
        TEMPLATES, {"title": "MSP agreement", "partner_type": PartnerType.MSP, "body": "# v1"}
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["status"] == "draft" and created["version"] == 1
    url = f"{TEMPLATES}{created['id']}/"
    response = api.patch(url, {"body": "# v1 edited"})
    assert response.status_code == 200 and response.json()["body"] == "# v1 edited"
    assert response.json()["title"] == "MSP agreement"
    response = api.post(f"{url}publish/")
    assert response.status_code == 200 and response.json()["published_at"]
    response = api.patch(url, {"body": "sneaky change"})
    assert response.status_code == 400
    assert "published version cannot be changed" in str(response.json())
    assert api.get(url).json()["body"] == "# v1 edited"


def test_read_only_roles_may_not_write_versions(acme):
    draft = AgreementTemplateFactory(tenant=acme.tenant, draft=True)
    for user in (acme.executive, acme.partner_admin):
        api = acme.api(user)
        assert api.post(TEMPLATES, {"title": "T", "body": "B"}).status_code == 403
        assert api.patch(f"{TEMPLATES}{draft.uuid}/", {"body": "x"}).status_code == 403
        assert api.post(f"{TEMPLATES}{draft.uuid}/publish/").status_code == 403


def test_publishing_another_tenants_draft_is_404(acme, globex):
    draft = AgreementTemplateFactory(tenant=globex.tenant, draft=True)
    assert acme.api(acme.admin).post(f"{TEMPLATES}{draft.uuid}/publish/").status_code == 404


# --- Signatures ---------------------------------------------------------------------------------


def test_signature_lists_are_scoped(acme, globex):
    approve(acme.partner)
    approve(acme.other_partner)
    template = publish(acme)
    mine = sign(acme, template)
    others = sign(acme, template, user=acme.other_partner_admin)
    approve(globex.partner)
    sign(globex, publish(globex))
    assert ids(acme.api(acme.partner_sales).get(SIGNATURES)) == {str(mine.uuid)}
    assert ids(acme.api(acme.manager).get(SIGNATURES)) == {str(mine.uuid)}
    assert ids(acme.api(acme.executive).get(SIGNATURES)) == {str(mine.uuid), str(others.uuid)}
    assert ids(acme.api(acme.admin).get(SIGNATURES)) == {str(mine.uuid), str(others.uuid)}
    assert acme.api(acme.sales).get(SIGNATURES).status_code == 403
    assert acme.api(acme.partner_admin).get(f"{SIGNATURES}{others.uuid}/").status_code == 404
    row = acme.api(acme.partner_admin).get(f"{SIGNATURES}{mine.uuid}/").json()
    assert row["text_sha256"] == mine.text_sha256 and row["version"] == 1
    assert row["signed_by"] == acme.partner_admin.email and row["method"] == "click"


def test_partner_admin_signs_through_the_api(acme, in_tenant):
    approve(acme.partner)
    template = publish(acme)
    payload = {
        "template": str(template.uuid),
        "signer_name": "Api Signer",
        "signer_title": "COO",
        "agree": True,
    }
    assert acme.api(acme.partner_sales).post(f"{SIGNATURES}sign/", payload).status_code == 403
    assert acme.api(acme.admin).post(f"{SIGNATURES}sign/", payload).status_code == 403
    response = acme.api(acme.partner_admin).post(f"{SIGNATURES}sign/", payload)
    assert response.status_code == 201, response.json()
    assert response.json()["signer_name"] == "Api Signer"
    with in_tenant(acme.tenant):
        assert AgreementSignature.objects.filter(partner=acme.partner).count() == 1
        assert OnboardingRun.objects.filter(partner=acme.partner).count() == 1
    again = acme.api(acme.partner_admin).post(f"{SIGNATURES}sign/", payload)
    assert again.status_code == 400 and "template" in again.json()


def test_sign_api_refuses_unticked_box_and_foreign_template(acme, globex):
    approve(acme.partner)
    template = publish(acme)
    base = {"template": str(template.uuid), "signer_name": "A", "signer_title": "B"}
    response = acme.api(acme.partner_admin).post(f"{SIGNATURES}sign/", base)
    assert response.status_code == 400 and "agree" in response.json()
    foreign = publish(globex)
    response = acme.api(acme.partner_admin).post(
        f"{SIGNATURES}sign/", {**base, "template": str(foreign.uuid), "agree": True}
    )
    assert response.status_code == 400 and "template" in response.json()


def test_signatures_are_immutable_over_the_api(acme):
    signature = AgreementSignatureFactory(partner=acme.partner)
    url = f"{SIGNATURES}{signature.uuid}/"
    api = acme.api(acme.admin)
    assert api.put(url, {"signer_name": "x"}).status_code == 405
    assert api.patch(url, {"signer_name": "x"}).status_code == 405
    assert api.delete(url).status_code == 405
    assert api.post(SIGNATURES, {"signer_name": "x"}).status_code == 405
    signature.refresh_from_db()
    assert signature.signer_name != "x"


def test_schema_documents_agreement_endpoints_without_warnings(tmp_path, capsys):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out))
    # NOTE: only this area's warnings are checked here; other areas own theirs.
    warnings = [
        line for line in capsys.readouterr().err.splitlines() if "agreement" in line.lower()
    ]
    assert warnings == []
    schema = out.read_text()
    for path in (
        "/api/v1/agreement-templates/",
        "/api/v1/agreement-templates/{id}/publish/",
        "/api/v1/agreement-signatures/",
        "/api/v1/agreement-signatures/sign/",
    ):
        assert f"{path}:" in schema
