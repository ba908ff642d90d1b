"""Demo Ideal Partner Profiles: one per vendor, fitting what it sells, then every partner scored.

Idempotent: criteria are matched by label and only missing ones are added; partners are rescored
only when a criterion was added or some partner has never been scored.
"""

from __future__ import annotations

from tenancy.context import require_current_tenant

from ..models import IppCriterion, PartnerOrganization
from ..services import ipp as services

# (group, label, field, operator, value, weight); each profile's weights total 100.
PROFILES: dict[str, list[tuple]] = {
    # A cloud platform: infrastructure-savvy MSPs and ISVs in its two big regions.
    "acme": [
        ("firmographic", "Serves North America or EMEA", "regions", "any_of", ["NA", "EMEA"], 15),
        ("firmographic", "At least 51 employees", "employee_band", "gte", 51, 10),
        ("firmographic", "Revenue of $1M or more", "revenue_band", "gte", 1, 5),
        ("technical", "Kubernetes skills", "skills", "any_of", ["Kubernetes"], 15),
        ("technical", "AWS and Terraform", "skills", "all_of", ["AWS", "Terraform"], 10),
        ("technical", "MSP or ISV", "partner_types", "any_of", ["msp", "isv"], 15),
        ("cultural", "Willing to co-market", "co_marketing", "is_true", [], 10),
        ("cultural", "Plans to certify 3+ people", "planned_certified_staff", "gte", 3, 10),
        (
            "cultural",
            "Solution or consultative selling",
            "sales_motion",
            "any_of",
            ["solution", "consultative"],
            10,
        ),
    ],
    # A security vendor: SOC-capable service providers in regulated industries.
    "globex": [
        (
            "firmographic",
            "Regulated industries",
            "industries",
            "any_of",
            ["Finance", "Financial services", "Banking", "Healthcare", "Government"],
            15,
        ),
        ("firmographic", "At least 201 employees", "employee_band", "gte", 201, 10),
        (
            "firmographic",
            "HQ in the US, UK or Germany",
            "hq_country",
            "any_of",
            ["US", "GB", "DE"],
            5,
        ),
        (
            "firmographic",
            "Not an affiliate or influencer",
            "partner_types",
            "none_of",
            ["affiliate", "influencer"],
            5,
        ),
        ("technical", "Runs a SOC", "skills", "any_of", ["SOC"], 15),
        ("technical", "SIEM and Zero Trust", "skills", "all_of", ["SIEM", "Zero Trust"], 15),
        ("technical", "Managed security provider", "partner_types", "any_of", ["msp"], 10),
        ("cultural", "Consultative selling", "sales_motion", "any_of", ["consultative"], 10),
        ("cultural", "Plans to certify 5+ people", "planned_certified_staff", "gte", 5, 10),
        ("cultural", "Willing to co-market", "co_marketing", "is_true", [], 5),
    ],
}


def seed(tenant, *, staff) -> None:
    """Demo data for this area, inside tenant_context(tenant). staff: role name -> User."""
    require_current_tenant()
    rows = PROFILES.get(tenant.slug)
    if not rows:
        return
    profile = services.profile_get_or_create()
    existing = set(IppCriterion.objects.filter(profile=profile).values_list("label", flat=True))
    added = 0
    positions: dict[str, int] = {}
    for group, label, field, operator, value, weight in rows:
        position = positions.get(group, 0)
        positions[group] = position + 1
        if label in existing:
            continue
        # NOTE: demo rows are written directly (not through criterion_create) so seeding needs no
        # actor and sends no background task; the values are validated the same way.
        IppCriterion.objects.create(
            profile=profile,
            group=group,
            label=label,
            field=field,
            operator=operator,
            value=services.clean_criterion_value(field=field, operator=operator, value=value),
            weight=weight,
            position=position,
        )
        added += 1
    if added or PartnerOrganization.objects.filter(ipp_scored_at__isnull=True).exists():
        services.score_tenant()
