"""Onboarding factories (shared by every onboarding area's tests).

AgreementTemplateFactory builds a *published* version for all partner types by default; pass
``published_at=None`` for a draft. AgreementSignatureFactory copies the template's text and its
SHA-256 like the signing service does (it bypasses the service: no audit, no onboarding run).
"""

import hashlib

import factory
from django.utils import timezone

from onboarding.models.agreements import AgreementSignature, AgreementTemplate, SignatureMethod
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.tests.factories import TenantFactory, TenantOwnedFactory


class AgreementTemplateFactory(TenantOwnedFactory):
    class Meta:
        model = AgreementTemplate

    class Params:
        # AgreementTemplateFactory(draft=True): an unpublished version.
        draft = factory.Trait(published_at=None)

    tenant = factory.SubFactory(TenantFactory)
    title = "Partner agreement"
    partner_type = ""
    version = factory.Sequence(lambda n: n + 1)
    body = factory.LazyAttribute(
        lambda o: f"# {o.title}\n\nVersion {o.version}. The partner agrees to **the terms**.\n"
    )
    summary_of_changes = ""
    published_at = factory.LazyFunction(timezone.now)


class AgreementSignatureFactory(TenantOwnedFactory):
    class Meta:
        model = AgreementSignature

    partner = factory.SubFactory(PartnerOrganizationFactory)
    tenant = factory.LazyAttribute(lambda o: o.partner.tenant)
    template = factory.SubFactory(
        AgreementTemplateFactory, tenant=factory.SelfAttribute("..tenant")
    )
    method = SignatureMethod.CLICK_THROUGH
    text_signed = factory.LazyAttribute(lambda o: o.template.body)
    text_sha256 = factory.LazyAttribute(
        lambda o: hashlib.sha256(o.text_signed.encode("utf-8")).hexdigest()
    )
    signer_name = factory.Faker("name")
    signer_title = "CEO"
    signer_email = factory.Sequence(lambda n: f"signer{n}@partner.example")
    ip_address = "192.0.2.10"
    user_agent = "pytest"


def agreement_isolation_objects(world) -> dict:
    """One agreement version and one signature in the world's tenant, by URL kwarg / API basename
    (for tests/test_isolation_walk.py)."""
    template = AgreementTemplateFactory(tenant=world.tenant)
    signature = AgreementSignatureFactory(partner=world.partner, template=template)
    return {
        "template_uuid": template.uuid,
        "agreement-templates": template.uuid,
        "signature_uuid": signature.uuid,
        "agreement-signatures": signature.uuid,
    }
