"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

from django.db.models import Q, QuerySet

from tenancy.common.months import EVERY_MONTH, in_months, month_of

from ..models import PartnerOrganization, RevenueRecord, TierChange


def _narrow(qs: QuerySet, partner_ids: Collection[int] | None, field: str = "partner_id"):
    return qs if partner_ids is None else qs.filter(**{f"{field}__in": list(partner_ids)})


def partner_dimensions(partner_ids: Collection[int] | None = None) -> list[dict]:
    """Each partner's analysis dimensions as they are now: tier (and its discount margin %),
    home region (the first region served), type, channel manager, lifecycle state."""
    rows = _narrow(PartnerOrganization.objects.all(), partner_ids, "pk").values(
        "pk",
        "name",
        "tier_id",
        "tier__discount_margin_pct",
        "regions",
        "partner_type",
        "channel_manager_id",
        "state",
        "is_active",
        "created_at",
    )
    return [
        {
            "id": row["pk"],
            "name": row["name"],
            "tier_id": row["tier_id"],
            "discount_pct": row["tier__discount_margin_pct"],
            "region": (row["regions"] or [""])[0] or "",
            "partner_type": row["partner_type"] or "",
            "manager_id": row["channel_manager_id"],
            "state": row["state"],
            "is_active": row["is_active"],
            "created_at": row["created_at"],
        }
        for row in rows.order_by("pk")
    ]


def revenue_rows(
    partner_ids: Collection[int] | None = None,
    *,
    refs: Collection[str] = (),
    booked_from: date | None = None,
    created_after: datetime | None = None,
    months: Collection[date] | None = None,
):
    """The revenue ledger's records (program currency): those of `partner_ids` (every record
    when None) plus those with one of the external `refs`; booked on or after `booked_from`,
    recorded after `created_after`, booked in one of `months`, when given."""
    qs = RevenueRecord.objects.all()
    if partner_ids is not None:
        qs = qs.filter(Q(partner_id__in=list(partner_ids)) | Q(external_ref__in=list(refs)))
    if booked_from is not None:
        qs = qs.filter(booked_on__gte=booked_from)
    if created_after is not None:
        qs = qs.filter(created_at__gt=created_after)
    if months is not None:
        qs = qs.filter(in_months("booked_on", months, moments=False))
    return qs.order_by("pk").values(
        "pk", "partner_id", "kind", "amount", "booked_on", "product", "source", "external_ref"
    )


def months_changed_since(moment: datetime) -> set[tuple[int, date]]:
    """(partner id, month) whose figures changed after `moment`: the booking month of each new
    revenue record; every month (EVERY_MONTH) of a partner whose tier changed (its margin
    applies to all its revenue)."""
    revenue = RevenueRecord.objects.filter(created_at__gt=moment).order_by()
    changed = {
        (partner_id, month_of(booked_on))
        for partner_id, booked_on in revenue.values_list("partner_id", "booked_on").distinct()
    }
    return changed | {(partner_id, EVERY_MONTH) for partner_id in tier_changed_since(moment)}


def tier_changed_since(moment: datetime) -> set[int]:
    """Partners whose tier changed after `moment`."""
    return set(
        TierChange.objects.filter(changed_at__gt=moment)
        .order_by()
        .values_list("partner_id", flat=True)
    )


def tier_names() -> dict[int, str]:
    """{tier id: name}, in rank order (highest first)."""
    from ..models import Tier

    return dict(Tier.objects.order_by("-rank").values_list("pk", "name"))


def partner_names(partner_ids: Collection[int]) -> dict[int, tuple[str, object]]:
    """{partner id: (name, uuid)}."""
    rows = PartnerOrganization.objects.filter(pk__in=list(partner_ids)).values_list(
        "pk", "name", "uuid"
    )
    return {pk: (name, uuid) for pk, name, uuid in rows}


def partner_people() -> list[dict]:
    """The active users of the partners in the program (contracted or active), with their
    partner's tier, home region and type: whom a partner survey asks."""
    from tenancy.models import Membership
    from tenancy.roles import PARTNER_ROLES

    from ..models import LifecycleState

    partners = {
        row["id"]: row
        for row in partner_dimensions()
        if row["is_active"] and row["state"] in (LifecycleState.CONTRACTED, LifecycleState.ACTIVE)
    }
    members = Membership.objects.filter(
        role__in=sorted(PARTNER_ROLES),
        is_active=True,
        user__is_active=True,
        partner_organization_id__in=list(partners),
    ).values_list("user_id", "partner_organization_id")
    return [
        {
            "user_id": user_id,
            "partner_id": partner_id,
            "tier_id": partners[partner_id]["tier_id"],
            "region": partners[partner_id]["region"],
            "partner_type": partners[partner_id]["partner_type"],
        }
        for user_id, partner_id in members.order_by("pk")
    ]


def partner_dimensions_of(partner_id: int) -> dict | None:
    rows = partner_dimensions([partner_id])
    return rows[0] if rows else None


def by_customer_month(qs: QuerySet) -> list[tuple[str, object, str, object]]:
    """A ledger's `amount` summed per customer (case and spaces ignored), month (of
    `booked_on`) and currency: [(customer, first day of the month, currency, amount)]. One
    grouped query."""
    from django.db.models import Sum
    from django.db.models.functions import Lower, Trim, TruncMonth

    rows = (
        qs.annotate(key=Lower(Trim("customer")), month=TruncMonth("booked_on"))
        .values("key", "month", "currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return [(r["key"], r["month"], r["currency"], r["total"]) for r in rows]


def revenue_by_customer_month() -> list[tuple[str, object, str, object]]:
    """The revenue ledger per customer, month and currency (`by_customer_month`)."""
    return by_customer_month(RevenueRecord.objects.all())
