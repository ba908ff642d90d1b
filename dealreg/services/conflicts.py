"""Duplicate and conflict detection for a registration, at submission and again at approval.

Kinds (each entry says what the approver needs to decide):
- `same_domain`: another live registration for the same customer domain / account;
- `similar_name`: another account whose normalised name is close (pg_trgm similarity over the
  accounts sharing a word, see services/matching.py; rapidfuzz elsewhere), ≥ SIMILARITY;
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
from django.utils.translation import gettext_lazy

from ..models import CustomerAccount, DealRegistration, DealStatus, DirectOpportunity
from .accounts import normalize_account_name
from .matching import fallback_candidates, name_candidates

SIMILARITY = 0.45
MAX_SIMILAR = 10
LIVE_STATUSES = (DealStatus.SUBMITTED, DealStatus.UNDER_REVIEW, DealStatus.APPROVED)
KINDS = ("same_domain", "similar_name", "approved_elsewhere", "direct_owned", "direct_opportunity")
# What each kind reads as on the approver's screens.
CONFLICT_LABELS = {
    "same_domain": gettext_lazy("Same customer registered"),
    "similar_name": gettext_lazy("Similar account name"),
    "approved_elsewhere": gettext_lazy("Held by another partner"),
    "direct_owned": gettext_lazy("Owned by direct sales"),
    "direct_opportunity": gettext_lazy("Direct sales opportunity"),
}


def _account_info(account: CustomerAccount) -> dict[str, Any]:
    return {
        "account": str(account.uuid),
        "account_name": account.name,
        "account_domain": account.domain,
    }


# What a conflict entry says of another registration, read as plain rows (no model instances:
# this runs in every submission).
REGISTRATION_FIELDS = (
    "uuid",
    "partner__name",
    "partner__uuid",
    "customer_name",
    "status",
    "expires_at",
    "account_id",
    "account__uuid",
    "account__name",
    "account__domain",
)


def _registration_info(row: dict[str, Any]) -> dict[str, Any]:
    account = (
        {
            "account": str(row["account__uuid"]),
            "account_name": row["account__name"],
            "account_domain": row["account__domain"],
        }
        if row["account_id"]
        else {}
    )
    return {
        **account,
        "registration": str(row["uuid"]),
        "partner": row["partner__name"],
        "partner_uuid": str(row["partner__uuid"]),
        "customer_name": row["customer_name"],
        "status": row["status"],
        "expires": row["expires_at"].isoformat() if row["expires_at"] else None,
    }


def similar_accounts(
    name: str, *, exclude_pk: int | None = None
) -> list[tuple[CustomerAccount, float]]:
    """Accounts whose normalised name is at least SIMILARITY alike, best first (at most 10).
    Only accounts sharing a word (or a near spelling of one) are compared: services/matching."""
    normalized = normalize_account_name(name)
    if not normalized:
        return []
    qs = CustomerAccount.objects.all()
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    if connection.vendor == "postgresql":
        rows = name_candidates(qs, normalized, threshold=SIMILARITY)[:MAX_SIMILAR]
        return [(row, round(float(row.score), 3)) for row in rows]
    from rapidfuzz import fuzz

    scored = []
    for row in fallback_candidates(qs, normalized):
        score = fuzz.ratio(normalized, row.normalized_name) / 100
        if score >= SIMILARITY:
            scored.append((row, round(score, 3)))
    scored.sort(key=lambda pair: (-pair[1], pair[0].pk))
    return scored[:MAX_SIMILAR]


def detect_conflicts(
    registration: DealRegistration, *, new_account: bool = False
) -> list[dict[str, Any]]:
    """Everything that may compete with `registration` (see the module docstring).
    `new_account`: its account was created just now, in this transaction, so nothing else can
    be registered on it, own it or have an opportunity on it (those lookups are skipped)."""
    conflicts: list[dict[str, Any]] = []
    account = registration.account
    now = timezone.now()
    others = DealRegistration.objects.exclude(pk=registration.pk)

    same = Q()
    if registration.customer_domain:
        same |= Q(customer_domain=registration.customer_domain)
    if account is not None:
        same |= Q(account=account)
    if same and not new_account:
        rows = others.filter(same, status__in=LIVE_STATUSES).order_by("-created_at")
        for row in rows.values(*REGISTRATION_FIELDS)[:20]:
            conflicts.append({"kind": "same_domain", "score": 1.0, **_registration_info(row)})

    similar = similar_accounts(
        registration.customer_name, exclude_pk=account.pk if account is not None else None
    )
    for other_account, score in similar:
        conflicts.append({"kind": "similar_name", "score": score, **_account_info(other_account)})

    # Approved, unexpired locks of another partner on this account or a similar one.
    own = [account.pk] if account is not None and not new_account else []
    account_ids = [a.pk for a, _score in similar] + own
    scores = {a.pk: s for a, s in similar}
    if account_ids:
        locks = (
            others.filter(account_id__in=account_ids, status=DealStatus.APPROVED)
            .exclude(partner_id=registration.partner_id)
            .exclude(expires_at__lt=now)
        )
        for row in locks.values(*REGISTRATION_FIELDS):
            conflicts.append(
                {
                    "kind": "approved_elsewhere",
                    "score": scores.get(row["account_id"], 1.0),
                    **_registration_info(row),
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
    if account is not None and not new_account:
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
