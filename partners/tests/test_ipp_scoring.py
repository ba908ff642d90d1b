"""IPP scoring: hand-worked examples with expected points, saving one partner, a whole tenant."""

import pytest
from django.core.exceptions import ValidationError

from partners.models import IdealPartnerProfile, IppCriterion, PartnerOrganization
from partners.services import ipp as services
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context


def rule(group, field, operator, value, weight, label=None):
    return IppCriterion(
        group=group,
        label=label or f"{field} {operator}",
        field=field,
        operator=operator,
        value=value,
        weight=weight,
    )


def partner(**profile):
    defaults = {"name": "Example", "partner_type": "reseller"}
    return PartnerOrganization(**{**defaults, **profile})


def points(explanation) -> list[tuple[str, bool, int, int]]:
    return [(row["label"], row["matched"], row["points"], row["weight"]) for row in explanation]


EXAMPLE_PARTNER = {
    "partner_type": "msp",
    "partner_types": ["isv"],
    "regions": ["EMEA", "APAC"],
    "hq_country": "DE",
    "industries": ["Finance", "Retail"],
    "employee_band": "51",
    "revenue_band": "10",
    "skills": ["kubernetes", "AWS"],
    "sales_motion": "consultative",
    "co_marketing": True,
    "planned_certified_staff": 3,
}

EXAMPLE_CRITERIA = [
    rule("firmographic", "regions", "any_of", ["NA", "EMEA"], 20, "Serves NA or EMEA"),
    rule("firmographic", "employee_band", "gte", 50, 15, "At least 50 staff"),
    rule("firmographic", "revenue_band", "lte", 1, 5, "Small revenue"),
    rule("firmographic", "hq_country", "any_of", ["US"], 5, "US HQ"),
    rule("firmographic", "industries", "none_of", ["Government"], 5, "Not government"),
    rule("technical", "skills", "all_of", ["Kubernetes", "Terraform"], 10, "K8s and Terraform"),
    rule("technical", "skills", "any_of", ["KUBERNETES"], 10, "Kubernetes"),
    rule("technical", "partner_types", "any_of", ["msp"], 10, "Is an MSP"),
    rule("cultural", "co_marketing", "is_true", [], 10, "Co-markets"),
    rule("cultural", "planned_certified_staff", "gte", 5, 10, "Certifies 5+"),
    rule("cultural", "sales_motion", "any_of", ["consultative", "solution"], 5, "Consultative"),
]


def test_mix_of_all_operators_scores_the_hand_worked_points():
    score, explanation = services.evaluate(EXAMPLE_CRITERIA, partner(**EXAMPLE_PARTNER))
    assert points(explanation) == [
        ("Serves NA or EMEA", True, 20, 20),
        ("At least 50 staff", True, 15, 15),  # band 51–200 → lower bound 51 ≥ 50
        ("Small revenue", False, 0, 5),  # band $10M–$50M → 10 is not ≤ 1
        ("US HQ", False, 0, 5),
        ("Not government", True, 5, 5),
        ("K8s and Terraform", False, 0, 10),
        ("Kubernetes", True, 10, 10),  # "kubernetes" matches "KUBERNETES"
        ("Is an MSP", True, 10, 10),  # primary type msp counts though partner_types = [isv]
        ("Co-markets", True, 10, 10),
        ("Certifies 5+", False, 0, 10),
        ("Consultative", True, 5, 5),
    ]
    # Weights total 105 (not 100): 75 earned → 100 × 75 / 105 = 71.4 → 71.
    assert score == 71
    assert [row["group"] for row in explanation][:1] == ["firmographic"]
    assert all(row["criterion"] for row in explanation)


def test_explanation_says_why_in_plain_words():
    _, explanation = services.evaluate(EXAMPLE_CRITERIA, partner(**EXAMPLE_PARTNER))
    details = {row["label"]: row["detail"] for row in explanation}
    assert details["Serves NA or EMEA"] == "Regions served EMEA, APAC include EMEA"
    assert "51" in details["At least 50 staff"] and "≥ 50" in details["At least 50 staff"]
    assert "is not ≤ 1" in details["Small revenue"]
    assert "Terraform" in details["K8s and Terraform"]


def test_groups_are_listed_firmographic_technical_cultural():
    criteria = [
        rule("cultural", "co_marketing", "is_true", [], 1),
        rule("technical", "skills", "any_of", ["Go"], 1),
        rule("firmographic", "regions", "any_of", ["NA"], 1),
    ]
    _, explanation = services.evaluate(criteria, partner())
    assert [row["group"] for row in explanation] == ["firmographic", "technical", "cultural"]


def test_no_criteria_means_no_score():
    assert services.evaluate([], partner(**EXAMPLE_PARTNER)) == (None, [])


def test_score_rounds_half_up_with_odd_weights():
    criteria = [
        rule("technical", "skills", "any_of", ["SIEM"], 5),
        rule("technical", "skills", "any_of", ["SOC"], 3),
    ]
    score, explanation = services.evaluate(criteria, partner(skills=["siem"]))
    assert [row["points"] for row in explanation] == [5, 0]
    assert score == 63  # 100 × 5 / 8 = 62.5 → 63


def test_band_comparisons_use_the_band_lower_bound():
    at_least_200 = [rule("firmographic", "employee_band", "gte", 200, 1)]
    at_most_50 = [rule("firmographic", "employee_band", "lte", 50, 1)]
    assert services.evaluate(at_least_200, partner(employee_band="201"))[0] == 100
    assert services.evaluate(at_least_200, partner(employee_band="51"))[0] == 0
    assert services.evaluate(at_most_50, partner(employee_band="11"))[0] == 100
    assert services.evaluate(at_most_50, partner(employee_band="51"))[0] == 0
    # Unknown band never matches a number rule, and says so.
    score, explanation = services.evaluate(at_most_50, partner(employee_band=""))
    assert score == 0 and "not given" in explanation[0]["detail"]


def test_all_of_and_none_of_on_lists():
    all_of = [rule("firmographic", "regions", "all_of", ["NA", "EMEA"], 1)]
    none_of = [rule("firmographic", "partner_types", "none_of", ["affiliate"], 1)]
    assert services.evaluate(all_of, partner(regions=["EMEA", "NA", "APAC"]))[0] == 100
    assert services.evaluate(all_of, partner(regions=["EMEA"]))[0] == 0
    assert services.evaluate(none_of, partner(partner_type="msp"))[0] == 100
    assert services.evaluate(none_of, partner(partner_type="affiliate"))[0] == 0


@pytest.mark.parametrize(
    ("field", "operator", "value", "error_on"),
    [
        ("regions", "gte", 5, "operator"),  # a number rule on a list field
        ("regions", "any_of", ["MARS"], "value"),
        ("regions", "any_of", [], "value"),
        ("employee_band", "gte", "lots", "value"),
        ("employee_band", "gte", -1, "value"),
        ("co_marketing", "any_of", ["yes"], "operator"),
        ("hq_country", "any_of", ["XX"], "value"),
    ],
)
def test_value_must_fit_the_field(field, operator, value, error_on):
    with pytest.raises(ValidationError) as caught:
        services.clean_criterion_value(field=field, operator=operator, value=value)
    assert error_on in caught.value.error_dict


def test_values_are_normalised():
    clean = services.clean_criterion_value
    assert clean(field="skills", operator="any_of", value=" AWS, aws ,GCP") == ["AWS", "GCP"]
    assert clean(field="employee_band", operator="gte", value="50") == 50
    assert clean(field="co_marketing", operator="is_true", value=["x"]) == []


@pytest.mark.django_db
def test_score_partner_saves_score_and_keeps_concurrent_profile_edit():
    acme_partner = PartnerOrganizationFactory(
        skills=["Kubernetes"], regions=["NA"], tenant__slug="acme"
    )
    tenant = acme_partner.tenant
    with tenant_context(tenant):
        profile = IdealPartnerProfile.objects.create(tenant=tenant)
        for criterion in [
            rule("technical", "skills", "any_of", ["kubernetes"], 30),
            rule("firmographic", "regions", "any_of", ["EMEA"], 10),
        ]:
            criterion.profile = profile
            criterion.save()
        stale = PartnerOrganization.objects.get(pk=acme_partner.pk)
        PartnerOrganization.objects.filter(pk=acme_partner.pk).update(name="Renamed meanwhile")
        services.score_partner(partner=stale)
        assert stale.ipp_score == 75
        saved = PartnerOrganization.objects.get(pk=acme_partner.pk)
    assert (saved.ipp_score, saved.name) == (75, "Renamed meanwhile")
    assert [row["points"] for row in saved.ipp_explanation] == [0, 30]
    assert saved.ipp_scored_at is not None


@pytest.mark.django_db
def test_score_partner_without_ipp_stores_none():
    acme_partner = PartnerOrganizationFactory(tenant__slug="acme")
    with tenant_context(acme_partner.tenant):
        services.score_partner(partner=acme_partner)
        saved = PartnerOrganization.objects.get(pk=acme_partner.pk)
    assert saved.ipp_score is None and saved.ipp_explanation == []
    assert saved.ipp_scored_at is not None


@pytest.mark.django_db
def test_score_partner_refuses_a_partner_of_another_tenant():
    acme_partner = PartnerOrganizationFactory(tenant__slug="acme")
    globex_partner = PartnerOrganizationFactory(tenant__slug="globex")
    with tenant_context(acme_partner.tenant), pytest.raises(PermissionError):
        services.score_partner(partner=globex_partner)


@pytest.mark.django_db
def test_score_tenant_rescores_every_partner_of_that_tenant_only(monkeypatch):
    monkeypatch.setattr(services, "SCORE_BATCH_SIZE", 2)  # several batches
    first = PartnerOrganizationFactory(tenant__slug="acme", co_marketing=True)
    tenant = first.tenant
    others = [PartnerOrganizationFactory(tenant=tenant, co_marketing=i % 2 == 0) for i in range(4)]
    globex_partner = PartnerOrganizationFactory(tenant__slug="globex", co_marketing=True)
    with tenant_context(tenant):
        profile = IdealPartnerProfile.objects.create(tenant=tenant)
        criterion = rule("cultural", "co_marketing", "is_true", [], 10)
        criterion.profile = profile
        criterion.save()
        assert services.score_tenant() == 5
        scores = dict(PartnerOrganization.objects.values_list("pk", "ipp_score"))
    assert scores[first.pk] == 100
    assert [scores[p.pk] for p in others] == [100, 0, 100, 0]
    with tenant_context(globex_partner.tenant):
        assert PartnerOrganization.objects.get().ipp_score is None
