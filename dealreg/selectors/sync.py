"""What a CRM sync reads of a registration (integrations.crm): one query with the partner."""

from __future__ import annotations

from collections.abc import Collection

from ..models import DealRegistration, DealStatus, SalesStage

# Statuses after which a registration no longer changes in the CRM's hands (closed here).
CLOSED_STATUSES = (DealStatus.WON, DealStatus.LOST, DealStatus.EXPIRED, DealStatus.REJECTED)


def deal_for_sync(deal_uuid) -> DealRegistration | None:
    return DealRegistration.objects.select_related("partner").filter(uuid=deal_uuid).first()


def deal_status_label(status: str) -> str:
    return str(DealStatus(status).label)


def closed_deals(deal_uuids: Collection) -> set:
    """Of these registrations, the ones closed here (won, lost, expired, rejected)."""
    return set(
        DealRegistration.objects.filter(
            uuid__in=deal_uuids, status__in=CLOSED_STATUSES
        ).values_list("uuid", flat=True)
    )


def sales_stages() -> list[tuple[str, str]]:
    """The PRM's sales stages (value, label): what a CRM's stages map to."""
    return list(SalesStage.choices)


def open_deal_uuids() -> list:
    """Approved registrations still open (what a newly connected CRM is sent), oldest first."""
    return list(
        DealRegistration.objects.filter(status=DealStatus.APPROVED)
        .order_by("approved_at", "pk")
        .values_list("uuid", flat=True)
    )
