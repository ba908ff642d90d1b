"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth

from tenancy.common.months import in_months, month_of

from .models import FundRequest, Lead, Payout


def _narrow(qs, partner_ids: Collection[int] | None):
    return qs if partner_ids is None else qs.filter(partner_id__in=list(partner_ids))


def payouts_by_month(
    partner_ids: Collection[int] | None = None, months: Collection[date] | None = None
) -> list[dict]:
    """Rows of {partner_id, month, currency, amount}: MDF paid per month of payment (only in
    `months` when given)."""
    qs = Payout.objects.all()
    if months is not None:
        qs = qs.filter(in_months("paid_on", months, moments=False))
    return list(
        _narrow(qs, partner_ids)
        .annotate(month=TruncMonth("paid_on"))
        .values("partner_id", "month", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    )


def requests_by_month(
    partner_ids: Collection[int] | None = None, months: Collection[date] | None = None
) -> list[dict]:
    """Rows of {partner_id, month, count}: MDF requests submitted per month (only in `months`
    when given)."""
    qs = FundRequest.objects.all()
    if months is not None:
        qs = qs.filter(in_months("submitted_at", months))
    return list(
        _narrow(qs, partner_ids)
        .annotate(month=TruncMonth("submitted_at", tzinfo=UTC))
        .values("partner_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def lead_touches(registration_ids: Collection[int]) -> list[dict]:
    """Rows of {registration_id, partner_id, at}: a campaign lead that became the registration
    (the campaign's partner touched the deal when the lead arrived)."""
    rows: list[dict] = []
    ids = list(registration_ids)
    for start in range(0, len(ids), 5000):
        rows += Lead.objects.filter(registration_id__in=ids[start : start + 5000]).values(
            "registration_id", "partner_id", "created_at"
        )
    return [{**row, "at": row.pop("created_at")} for row in rows]


def registrations_from_leads_of(partner_ids: Collection[int]) -> list[int]:
    """The registrations the partners' campaign leads became."""
    return list(
        Lead.objects.filter(partner_id__in=list(partner_ids), registration__isnull=False)
        .values_list("registration_id", flat=True)
        .order_by()
    )


def months_changed_since(moment: datetime) -> set[tuple[int, date]]:
    """(partner id, month) whose MDF figures changed after `moment`: the month of each payout
    recorded and each request submitted since. (A lead moves attribution credit only once it
    becomes a registration, which deal registration reports.)"""
    payouts = Payout.objects.filter(recorded_at__gt=moment).order_by()
    requests = FundRequest.objects.filter(submitted_at__gt=moment).order_by()
    return {
        (partner_id, month_of(day))
        for partner_id, day in [
            *payouts.values_list("partner_id", "paid_on").distinct(),
            *requests.values_list("partner_id", "submitted_at").distinct(),
        ]
    }
