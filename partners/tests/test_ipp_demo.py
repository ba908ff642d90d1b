"""Demo IPPs: one per demo vendor, criteria in all three groups, partners scored, idempotent."""

import pytest

from partners.demo import ipp as demo
from partners.models import IdealPartnerProfile, IppCriterion, PartnerOrganization
from partners.services import ipp as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("slug", ["acme", "globex"])
def test_demo_ipp_has_weighted_criteria_in_three_groups_scores_partners_and_is_idempotent(slug):
    tenant = TenantFactory(slug=slug)
    PartnerOrganizationFactory(
        tenant=tenant, partner_type="msp", skills=["kubernetes", "SOC"], co_marketing=True
    )
    PartnerOrganizationFactory(tenant=tenant, partner_type="affiliate")
    with tenant_context(tenant):
        demo.seed(tenant, staff={})
        criteria = list(IppCriterion.objects.all())
        scored = dict(PartnerOrganization.objects.values_list("name", "ipp_scored_at"))
        scores = list(PartnerOrganization.objects.values_list("ipp_score", flat=True))
        demo.seed(tenant, staff={})
        assert IppCriterion.objects.count() == len(criteria)
        assert IdealPartnerProfile.objects.get().version == 1
        assert dict(PartnerOrganization.objects.values_list("name", "ipp_scored_at")) == scored
    assert 8 <= len(criteria) <= 10
    assert {c.group for c in criteria} == {"firmographic", "technical", "cultural"}
    assert sum(c.weight for c in criteria) == 100
    assert all(score is not None for score in scores) and max(scores) > min(scores)


def criteria_of(slug):
    return [
        IppCriterion(group=g, label=label, field=f, operator=op, value=v, weight=w)
        for g, label, f, op, v, w in demo.PROFILES[slug]
    ]


CLOUD_MSP = {
    "name": "Cloud MSP",
    "partner_type": "msp",
    "regions": ["EMEA"],
    "employee_band": "51",
    "revenue_band": "10",
    "skills": ["Kubernetes", "AWS", "Terraform"],
    "co_marketing": True,
    "planned_certified_staff": 4,
    "sales_motion": "solution",
}
SECURITY_MSSP = {
    "name": "Security MSSP",
    "partner_type": "msp",
    "industries": ["healthcare"],
    "employee_band": "201",
    "hq_country": "GB",
    "skills": ["soc", "SIEM", "zero trust"],
    "sales_motion": "consultative",
    "planned_certified_staff": 6,
    "co_marketing": True,
}


def test_demo_ipps_fit_each_vendor():
    evaluate = services.evaluate
    assert evaluate(criteria_of("acme"), PartnerOrganization(**CLOUD_MSP))[0] == 100
    assert evaluate(criteria_of("globex"), PartnerOrganization(**SECURITY_MSSP))[0] == 100
    assert evaluate(criteria_of("acme"), PartnerOrganization(**SECURITY_MSSP))[0] < 75
    assert evaluate(criteria_of("globex"), PartnerOrganization(**CLOUD_MSP))[0] < 50
