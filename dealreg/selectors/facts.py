"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth

from ..models import DealEvent, DealRegistration, DealStatus
from ..services.outcomes import revenue_ref

REF_PREFIX = "deal:"


def _registrations(partner_ids: Collection[int] | None):
    qs = DealRegistration.objects.all()
    return qs if partner_ids is None else qs.filter(partner_id__in=list(partner_ids))


def registration_counts(partner_ids: Collection[int] | None = None) -> list[dict]:
    """Rows of {partner_id, month, measure, count}: registrations submitted per month (measure
    "submitted") and closed as won or lost per month of closing ("won", "lost")."""
    submitted = (
        _registrations(partner_ids)
        .filter(submitted_at__isnull=False)
        .annotate(month=TruncMonth("submitted_at"))
        .values("partner_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )
    closed = (
        _registrations(partner_ids)
        .filter(status__in=(DealStatus.WON, DealStatus.LOST), closed_at__isnull=False)
        .annotate(month=TruncMonth("closed_at"))
        .values("partner_id", "month", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    rows = [{**row, "measure": "submitted"} for row in submitted]
    rows += [{**row, "measure": row.pop("status")} for row in closed]
    return rows


def deals_by_ref(refs: Collection[str]) -> dict[str, dict]:
    """{ledger ref "deal:<uuid>": the won deal's id, registering partner, when it was registered
    and its region} for the revenue records deal registration posted."""
    uuids = [ref[len(REF_PREFIX) :] for ref in refs if ref.startswith(REF_PREFIX)]
    found: dict[str, dict] = {}
    for start in range(0, len(uuids), 5000):
        rows = DealRegistration.objects.filter(uuid__in=uuids[start : start + 5000]).values(
            "pk", "uuid", "partner_id", "submitted_at", "created_at", "region"
        )
        for row in rows:
            found[f"{REF_PREFIX}{row['uuid']}"] = {
                "id": row["pk"],
                "partner_id": row["partner_id"],
                "at": row["submitted_at"] or row["created_at"],
                "region": row["region"] or "",
            }
    return found


def refs_of(registration_ids: Collection[int]) -> dict[int, str]:
    """{registration id: its ledger ref} (what a won deal's revenue record carries)."""
    rows = DealRegistration.objects.filter(pk__in=list(registration_ids)).only("pk", "uuid")
    return {row.pk: revenue_ref(row) for row in rows}


def partners_changed_since(moment: datetime) -> set[int]:
    """Partners whose registrations changed (submitted, decided, won, lost...) after `moment`."""
    return set(
        DealEvent.objects.filter(at__gt=moment)
        .values_list("registration__partner_id", flat=True)
        .distinct()
        .order_by()
    )
