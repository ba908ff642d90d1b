"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from django.db.models import Count
from django.db.models.functions import TruncMonth

from tenancy.common.months import in_months, month_of

from ..models import PortalLogin


def logins_by_month(
    partner_ids: Collection[int] | None = None, months: Collection[date] | None = None
) -> list[dict]:
    """Rows of {partner_id, month, count}: portal logins of a partner's people per month (only
    in `months` when given)."""
    qs = PortalLogin.objects.all()
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=list(partner_ids))
    if months is not None:
        qs = qs.filter(in_months("logged_in_at", months))
    return list(
        qs.annotate(month=TruncMonth("logged_in_at", tzinfo=UTC))
        .values("partner_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def months_changed_since(moment: datetime) -> set[tuple[int, date]]:
    """(partner id, month) with a portal login after `moment`."""
    logins = PortalLogin.objects.filter(logged_in_at__gt=moment).order_by()
    return {
        (partner_id, month_of(at))
        for partner_id, at in logins.values_list("partner_id", "logged_in_at")
    }
