"""Read-only facts for the analytics rollups (analytics sits above this app and reads it only
through here): set-based, one query each, optionally narrowed to some partners.

Training time per month follows the one definition in `enablement.training` (a person's course
time plus attended live sessions), dated: each completed module's (or passed quiz's) time in the
month it was completed, each attended live session in the month it started. Summed over all
months it is `training.training_seconds` of the same people.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime

from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import TruncMonth

from tenancy.common.months import in_months, month_of, months_between
from tenancy.models import Membership

from .certs.models import CertificationAward
from .live.models import Registration, RegistrationStatus
from .lms.models import Enrollment, ModuleProgress


def _partner_of(user_field: str):
    """The partner organisation of the row's user (their active membership in this tenant)."""
    return Subquery(
        Membership.objects.filter(user_id=OuterRef(user_field), is_active=True)
        .exclude(partner_organization_id=None)
        .values("partner_organization_id")[:1]
    )


def _narrow(qs, partner_ids: Collection[int] | None):
    return qs if partner_ids is None else qs.filter(partner_id__in=list(partner_ids))


def _in(months: Collection[date] | None, field: str) -> Q:
    return Q() if months is None else in_months(field, months)


def award_spans(partner_ids: Collection[int] | None = None) -> list[dict]:
    """Every certification award of a partner's person: {partner_id, user_id, level, issued_at,
    expires_at, revoked_at}; the caller counts who held one at a given moment."""
    qs = CertificationAward.objects.exclude(partner_id=None)
    return list(
        _narrow(qs, partner_ids)
        .values("partner_id", "user_id", "issued_at", "expires_at", "revoked_at")
        .annotate(level=F("certification__level"))
        .order_by()
    )


def training_seconds_by_month(
    partner_ids: Collection[int] | None = None, months: Collection[date] | None = None
) -> list[dict]:
    """Rows of {partner_id, month, seconds}: module time by month of completion and attended
    live sessions by month of the session, of each partner's (active) people (only in `months`
    when given)."""
    modules = (
        ModuleProgress.objects.filter(_in(months, "completed_at"))
        .annotate(partner_id=_partner_of("enrollment__user_id"))
        .exclude(partner_id=None)
        .annotate(month=TruncMonth("completed_at", tzinfo=UTC))
    )
    modules = (
        _narrow(modules, partner_ids)
        .values("partner_id", "month")
        .annotate(seconds=Sum("seconds_spent"))
        .order_by()
    )
    duration = ExpressionWrapper(
        F("session__ends_at") - F("session__starts_at"), output_field=DurationField()
    )
    live = (
        Registration.objects.filter(
            _in(months, "session__starts_at"), status=RegistrationStatus.CONFIRMED, attended=True
        )
        .annotate(partner_id=_partner_of("user_id"))
        .exclude(partner_id=None)
        .annotate(month=TruncMonth("session__starts_at", tzinfo=UTC))
    )
    live = (
        _narrow(live, partner_ids)
        .values("partner_id", "month")
        .annotate(total=Sum(duration))
        .order_by()
    )
    rows = [dict(row) for row in modules]
    rows += [
        {
            "partner_id": row["partner_id"],
            "month": row["month"],
            "seconds": int(row["total"].total_seconds()) if row["total"] else 0,
        }
        for row in live
    ]
    return rows


def completions_by_month(
    partner_ids: Collection[int] | None = None, months: Collection[date] | None = None
) -> list[dict]:
    """Rows of {partner_id, month, count}: courses completed per month by a partner's people
    (only in `months` when given)."""
    qs = (
        Enrollment.objects.filter(_in(months, "completed_at"), completed_at__isnull=False)
        .annotate(partner_id=_partner_of("user_id"))
        .exclude(partner_id=None)
        .annotate(month=TruncMonth("completed_at", tzinfo=UTC))
    )
    return list(
        _narrow(qs, partner_ids)
        .values("partner_id", "month")
        .annotate(count=Count("pk"))
        .order_by()
    )


def months_changed_since(moment: datetime) -> set[tuple[int, date]]:
    """(partner id, month) whose figures changed after `moment`: with an award issued, revoked
    or expired since, the month it happened in and every later one up to now (who holds one at
    each month's end); the month of each module done or live session attended since."""
    from django.utils import timezone

    now = timezone.now()
    awards = CertificationAward.objects.exclude(partner_id=None).filter(
        Q(issued_at__gt=moment)
        | Q(revoked_at__gt=moment)
        | Q(expires_at__gt=moment, expires_at__lte=now)
    )
    changed: set[tuple[int, date]] = set()
    for partner_id, *moments in awards.values_list(
        "partner_id", "issued_at", "revoked_at", "expires_at"
    ).order_by():
        first = min(at for at in moments if at is not None and at > moment)
        changed |= {(partner_id, month) for month in months_between(first, now.date())}
    modules = (
        ModuleProgress.objects.filter(completed_at__gt=moment)
        .annotate(partner_id=_partner_of("enrollment__user_id"))
        .exclude(partner_id=None)
        .values_list("partner_id", "completed_at")
        .order_by()
    )
    attended = (
        Registration.objects.filter(attendance_marked_at__gt=moment)
        .annotate(partner_id=_partner_of("user_id"))
        .exclude(partner_id=None)
        .values_list("partner_id", "session__starts_at")
        .order_by()
    )
    return changed | {(partner_id, month_of(at)) for partner_id, at in [*modules, *attended]}
