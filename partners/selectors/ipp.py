"""Ideal Partner Profile: reads for the console editor, the score API and the preview."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, F, Max, Q, QuerySet

from tenancy import access
from tenancy.access import Actor
from tenancy.common.numbers import round_half_up, shares_summing_to_100

from ..models import CriterionGroup, IdealPartnerProfile, IppCriterion, PartnerOrganization
from ..services import ipp as ipp_services

# Score bands of the distribution: (label, lowest score, highest score), inclusive.
SCORE_BANDS = (("0–24", 0, 24), ("25–49", 25, 49), ("50–74", 50, 74), ("75–100", 75, 100))


def profile_for(actor: Actor) -> IdealPartnerProfile | None:
    """The tenant's IPP, or None before anyone defined one (read-only: creates nothing)."""
    return IdealPartnerProfile.objects.first()


def criteria_for(actor: Actor) -> QuerySet[IppCriterion]:
    """The tenant's criteria (the IPP is tenant-wide: every vendor role with access sees all)."""
    return IppCriterion.objects.select_related("profile").order_by("group", "position", "id")


@dataclass(frozen=True)
class GroupOfCriteria:
    group: str
    label: str
    criteria: list[IppCriterion]

    @property
    def weight(self) -> int:
        return sum(criterion.weight for criterion in self.criteria)


def criteria_by_group(actor: Actor) -> tuple[list[GroupOfCriteria], int]:
    """Criteria in the three groups (firmographic, technical, cultural), and the total weight.

    Each criterion gets `share`: its percentage of the total weight (what a match is worth).
    """
    criteria = list(criteria_for(actor))
    total = sum(criterion.weight for criterion in criteria)
    for criterion in criteria:
        criterion.share = round_half_up(Decimal(100 * criterion.weight) / total, 1) if total else 0
        criterion.rule_text = ipp_services.describe_rule(criterion)
    groups = [
        GroupOfCriteria(
            group=value,
            label=str(label),
            criteria=[c for c in ipp_services.ordered_criteria(criteria) if c.group == value],
        )
        for value, label in CriterionGroup.choices
    ]
    return groups, total


def scored_partners_for(actor: Actor) -> QuerySet[PartnerOrganization]:
    """Partners the actor may see, with their saved IPP score (best first)."""
    return (
        access.scope_partner_organizations(actor, PartnerOrganization.objects.all())
        .only(
            "uuid", "name", "state", "partner_type", "ipp_score", "ipp_explanation", "ipp_scored_at"
        )
        .order_by(F("ipp_score").desc(nulls_last=True), "name", "pk")
    )


def score_distribution(actor: Actor) -> dict:
    """How many visible partners fall in each score band (saved scores), in one query."""
    qs = access.scope_partner_organizations(actor, PartnerOrganization.objects.all())
    aggregates = {
        f"band{i}": Count("pk", filter=Q(ipp_score__gte=low, ipp_score__lte=high))
        for i, (_label, low, high) in enumerate(SCORE_BANDS)
    }
    counts = qs.aggregate(
        **aggregates,
        unscored=Count("pk", filter=Q(ipp_score__isnull=True)),
        last_scored_at=Max("ipp_scored_at"),
    )
    distribution = _distribution(
        [counts[f"band{i}"] for i in range(len(SCORE_BANDS))], counts["unscored"]
    )
    distribution["last_scored_at"] = counts["last_scored_at"]
    return distribution


def score_distribution_preview(actor: Actor, criteria: Iterable[IppCriterion]) -> dict:
    """The distribution the given (unsaved) criteria would give the visible partners.

    Evaluates in memory, fetching only the profile columns, so an admin sees the effect of a rule
    before saving it.
    """
    criteria = list(criteria)
    qs = access.scope_partner_organizations(actor, PartnerOrganization.objects.all()).only(
        "pk", *ipp_services.PROFILE_FIELDS
    )
    counts = [0] * len(SCORE_BANDS)
    unscored = 0
    for partner in qs.iterator(chunk_size=2000):
        score, _explanation = ipp_services.evaluate(criteria, partner)
        if score is None:
            unscored += 1
            continue
        for i, (_label, low, high) in enumerate(SCORE_BANDS):
            if low <= score <= high:
                counts[i] += 1
                break
    return _distribution(counts, unscored)


def _distribution(counts: list[int], unscored: int) -> dict:
    """Bands with their count, their share of all partners (whole percentages that, with the
    unscored share, add up to exactly 100) and their bar length (relative to the biggest)."""
    total = sum(counts) + unscored
    biggest = max(counts + [unscored, 1])
    *percents, unscored_percent = shares_summing_to_100([*counts, unscored])
    bands = [
        {
            "label": label,
            "count": count,
            "percent": percent,
            "bar": int(round_half_up(Decimal(100 * count) / biggest)),
        }
        for (label, _low, _high), count, percent in zip(SCORE_BANDS, counts, percents, strict=True)
    ]
    return {
        "bands": bands,
        "unscored": unscored,
        "unscored_percent": unscored_percent,
        "total": total,
    }
