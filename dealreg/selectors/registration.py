"""Deal registration reads, scoped to what the actor may see: a partner user their own
organisation's registrations, vendor staff those of the partners in their scope."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Min, QuerySet

from tenancy import access
from tenancy.access import Actor, Perm

from ..models import DealRegistration


def deals_for(actor: Actor) -> QuerySet[DealRegistration]:
    if not actor.has(Perm.DEALS_VIEW):
        return DealRegistration.objects.none()
    return access.scope_partner_owned(
        actor, DealRegistration.objects.select_related("partner", "submitted_by")
    ).order_by("-created_at", "-id")


def first_deal_at(partner_ids: list[int]) -> dict[int, datetime]:
    """The onboarding milestone source: each partner's earliest submitted registration."""
    rows = (
        DealRegistration.objects.filter(partner_id__in=partner_ids, submitted_at__isnull=False)
        .values("partner_id")
        .annotate(first=Min("submitted_at"))
    )
    return {row["partner_id"]: row["first"] for row in rows}
