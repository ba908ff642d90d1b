"""Duplicate and conflict detection for a registration, at submission and again at approval.

Kinds (each entry says what the approver needs to decide):
- `same_domain`: another live registration for the same customer domain / account;
- `similar_name`: another account whose normalised name is close (pg_trgm on PostgreSQL, a
  rapidfuzz fallback elsewhere), similarity ≥ SIMILARITY;
- `approved_elsewhere`: an approved, unexpired registration of ANOTHER partner on the account or a
  similar one;
- `direct_owned`: the account is owned by a direct sales rep;
- `direct_opportunity`: direct sales has an open opportunity on the account.
The partner only ever learns that a possible conflict exists (`partner_conflict_summary`).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import CustomerAccount, DealRegistration, DealStatus, DirectOpportunity
from .accounts import normalize_account_name, use_trigram_threshold

SIMILARITY = 0.45
MAX_SIMILAR = 10
LIVE_STATUSES = (DealStatus.SUBMITTED, DealStatus.UNDER_REVIEW, DealStatus.APPROVED)
KINDS = ("same_domain", "similar_name", "approved_elsewhere", "direct_owned", "direct_opportunity")


def _account_info(account: CustomerAccount) -> dict[str, Any]:
    return {
        "account": str(account.uuid),
        "account_name": account.name,
        "account_domain": account.domain,
    }


def _registration_info(deal: DealRegistration) -> dict[str, Any]:
    return {
        "registration": str(deal.uuid),
        "partner": deal.partner.name,
        "partner_uuid": str(deal.partner.uuid),
        "customer_name": deal.customer_name,
        "status": deal.status,
        "expires": deal.expires_at.isoformat() if deal.expires_at else None,
    }


def similar_accounts(
    name: str, *, exclude_pk: int | None = None
) -> list[tuple[CustomerAccount, float]]:
    """Accounts whose normalised name is at least SIMILARITY alike, best first (at most 10)."""
    normalized = normalize_account_name(name)
    if not normalized:
        return []
    qs = CustomerAccount.objects.all()
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        use_trigram_threshold(SIMILARITY)

        # `trigram_similar` is the `%` operator, which the GIN (tenant_id, normalized_name)
        # index serves; the exact threshold is then applied to the few rows it returns.
        rows = (
            qs.filter(normalized_name__trigram_similar=normalized)
            .annotate(score=TrigramSimilarity("normalized_name", normalized))
            .filter(score__gte=SIMILARITY)
            .order_by("-score", "pk")[:MAX_SIMILAR]
        )
        return [(row, round(float(row.score), 3)) for row in rows]
    from rapidfuzz import fuzz

    # NOTE: the fallback only looks at names sharing the first three letters (index-friendly
    # prefix match); good enough for development databases.
    candidates = qs.filter(normalized_name__startswith=normalized[:3])[:500]
    scored = []
    for row in candidates:
        score = fuzz.ratio(normalized, row.normalized_name) / 100
        if score >= SIMILARITY:
            scored.append((row, round(score, 3)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return scored[:MAX_SIMILAR]


def detect_conflicts(registration: DealRegistration) -> list[dict[str, Any]]:
    """Everything that may compete with `registration` (see the module docstring)."""
    conflicts: list[dict[str, Any]] = []
    account = registration.account
    now = timezone.now()
    others = DealRegistration.objects.exclude(pk=registration.pk).select_related(
        "partner", "account"
    )

    same = Q()
    if registration.customer_domain:
        same |= Q(customer_domain=registration.customer_domain)
    if account is not None:
        same |= Q(account=account)
    seen: set[str] = set()
    if same:
        for deal in others.filter(same, status__in=LIVE_STATUSES).order_by("-created_at")[:20]:
            seen.add(str(deal.uuid))
            conflicts.append(
                {
                    "kind": "same_domain",
                    "score": 1.0,
                    **(_account_info(deal.account) if deal.account else {}),
                    **_registration_info(deal),
                }
            )

    similar = similar_accounts(
        registration.customer_name, exclude_pk=account.pk if account is not None else None
    )
    for other_account, score in similar:
        conflicts.append({"kind": "similar_name", "score": score, **_account_info(other_account)})

    # Approved, unexpired locks of another partner on this account or a similar one.
    account_ids = [a.pk for a, _score in similar] + ([account.pk] if account else [])
    scores = {a.pk: s for a, s in similar}
    if account_ids:
        locks = (
            others.filter(account_id__in=account_ids, status=DealStatus.APPROVED)
            .exclude(partner_id=registration.partner_id)
            .exclude(expires_at__lt=now)
        )
        for deal in locks:
            conflicts.append(
                {
                    "kind": "approved_elsewhere",
                    "score": scores.get(deal.account_id, 1.0),
                    **_account_info(deal.account),
                    **_registration_info(deal),
                }
            )

    if account is not None and account.owner_id is not None:
        owner = account.owner
        conflicts.append(
            {
                "kind": "direct_owned",
                "score": 1.0,
                **_account_info(account),
                "owner": owner.email if owner else "",
                "claimed_at": account.claimed_at.isoformat() if account.claimed_at else None,
            }
        )
    if account is not None:
        for opportunity in DirectOpportunity.objects.filter(
            account=account, is_open=True
        ).select_related("owner")[:10]:
            conflicts.append(
                {
                    "kind": "direct_opportunity",
                    "score": 1.0,
                    **_account_info(account),
                    "opportunity": opportunity.name,
                    "owner": opportunity.owner.email if opportunity.owner else "",
                    "amount": str(opportunity.amount) if opportunity.amount is not None else None,
                    "currency": opportunity.currency,
                }
            )
    return conflicts


def conflicts_refresh(registration: DealRegistration) -> list[dict[str, Any]]:
    """Detect again and store on the registration (saved: conflicts, conflicts_checked_at)."""
    registration.conflicts = detect_conflicts(registration)
    registration.conflicts_checked_at = timezone.now()
    if registration.pk:
        registration.save(update_fields=["conflicts", "conflicts_checked_at"])
    return registration.conflicts


def conflict_kinds(registration: DealRegistration) -> list[str]:
    present = {entry.get("kind") for entry in registration.conflicts or []}
    return [kind for kind in KINDS if kind in present]


def partner_conflict_summary(registration: DealRegistration) -> dict[str, Any]:
    """What the partner may know: whether a possible conflict exists, its kinds and a sentence.
    WARNING: never another partner's name or id, nor the account's direct owner."""
    kinds = conflict_kinds(registration)
    if not kinds:
        return {"possible_conflict": False, "kinds": [], "message": ""}
    return {
        "possible_conflict": True,
        "kinds": kinds,
        "message": _(
            "A possible conflict exists with another registration or with direct sales for this "
            "customer. Your approver will review it; you do not need to do anything now."
        ),
    }
