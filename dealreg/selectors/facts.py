"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from tenancy.common.months import EVERY_MONTH, in_months, month_of

from ..models import DealEvent, DealRegistration, DealStatus
from ..services.outcomes import revenue_ref

REF_PREFIX = "deal:"


def _registrations(partner_ids: Collection[int] | None):
    qs = DealRegistration.objects.all()
    return qs if partner_ids is None else qs.filter(partner_id__in=list(partner_ids))


def registration_counts(
    partner_ids: Collection[int] | None = None, months: Collection[date] | None = None
) -> list[dict]:
    """Rows of {partner_id, month, measure, count}: registrations submitted per month (measure
    "submitted") and closed as won or lost per month of closing ("won", "lost"); only in
    `months` when given."""
    submitted_in = Q() if months is None else in_months("submitted_at", months)
    closed_in = Q() if months is None else in_months("closed_at", months)
    submitted = (
        _registrations(partner_ids)
        .filter(submitted_in, submitted_at__isnull=False)
        .annotate(month=TruncMonth("submitted_at", tzinfo=UTC))
        .values("partner_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )
    closed = (
        _registrations(partner_ids)
        .filter(closed_in, status__in=(DealStatus.WON, DealStatus.LOST), closed_at__isnull=False)
        .annotate(month=TruncMonth("closed_at", tzinfo=UTC))
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


def months_changed_since(moment: datetime) -> set[tuple[int, date]]:
    """(partner id, month) whose counts changed after `moment`: the months a registration with
    an event since was submitted and closed in; every month (EVERY_MONTH) of its partner when
    it left won or lost (the month it had closed in is gone)."""
    events = DealEvent.objects.filter(at__gt=moment).order_by()
    changed: set[tuple[int, date]] = set()
    for partner_id, submitted_at, closed_at, from_status in events.values_list(
        "registration__partner_id",
        "registration__submitted_at",
        "registration__closed_at",
        "from_status",
    ).distinct():
        changed |= {(partner_id, month_of(at)) for at in (submitted_at, closed_at) if at}
        if from_status in (DealStatus.WON, DealStatus.LOST):
            changed.add((partner_id, EVERY_MONTH))
    return changed


def registrations_changed_since(moment: datetime) -> set[int]:
    """Registrations with an event (submitted, decided, won, lost, reassigned...) after
    `moment`."""
    return set(
        DealEvent.objects.filter(at__gt=moment)
        .values_list("registration_id", flat=True)
        .distinct()
        .order_by()
    )
