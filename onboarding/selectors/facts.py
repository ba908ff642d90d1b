"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth

from ..models import PortalLogin


def logins_by_month(partner_ids: Collection[int] | None = None) -> list[dict]:
    """Rows of {partner_id, month, count}: portal logins of a partner's people per month."""
    qs = PortalLogin.objects.all()
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=list(partner_ids))
    return list(
        qs.annotate(month=TruncMonth("logged_in_at"))
        .values("partner_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def partners_changed_since(moment: datetime) -> set[int]:
    """Partners whose people logged in after `moment`."""
    return set(
        PortalLogin.objects.filter(logged_in_at__gt=moment)
        .values_list("partner_id", flat=True)
        .distinct()
        .order_by()
    )
