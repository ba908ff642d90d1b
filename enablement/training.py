"""Training hours: the one figure, wherever it is shown.

A person's training time is the time recorded on their courses (each completed module's time and
passed quizzes, `Enrollment.seconds_spent`) plus the length of every live session they attended
(confirmed and marked present). A partner's training time is the sum over its active members.

Everything here is in whole seconds; a page turns seconds into hours once, with
`tenancy.common.numbers.hours_from_seconds` (half up: 900 s = 0.3 h) — in templates the `hours`
filter of `tenancy/templatetags/ui.py` — so the portal ("N h spent"), the partner page and the tier
card show the same number for the same people.

Tiers (partners, a floor below) read a partner's figure through
`partners.services.tiers.training_hours_provider`, which `enablement.live`'s AppConfig.ready()
registers with `partner_training_seconds`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db.models import DurationField, ExpressionWrapper, F, Sum

from tenancy.common.numbers import hours_from_seconds


def _course_seconds(user_ids: list[int]) -> dict[int, int]:
    from enablement.lms.models import Enrollment

    rows = (
        Enrollment.objects.filter(user_id__in=user_ids)
        .values("user_id")
        .annotate(seconds=Sum("seconds_spent"))
        .order_by()
    )
    return {row["user_id"]: int(row["seconds"] or 0) for row in rows}


def _live_seconds(user_ids: list[int]) -> dict[int, int]:
    from enablement.live.models import Registration, RegistrationStatus

    duration = ExpressionWrapper(
        F("session__ends_at") - F("session__starts_at"), output_field=DurationField()
    )
    rows = (
        Registration.objects.filter(
            user_id__in=user_ids, status=RegistrationStatus.CONFIRMED, attended=True
        )
        .values("user_id")
        .annotate(total=Sum(duration))
        .order_by()
    )
    return {
        row["user_id"]: int(row["total"].total_seconds()) if row["total"] else 0 for row in rows
    }


def training_seconds(user_ids: Iterable[int]) -> dict[int, int]:
    """{user id: seconds of training} for every id asked (0 when none): course time plus attended
    live sessions. Two queries whatever the number of people."""
    ids = list(user_ids)
    if not ids:
        return {}
    courses = _course_seconds(ids)
    live = _live_seconds(ids)
    return {user_id: courses.get(user_id, 0) + live.get(user_id, 0) for user_id in ids}


def training_hours(user_ids: Iterable[int]) -> dict[int, Decimal]:
    """{user id: hours of training}, one decimal, half up (for the API and exports)."""
    return {user_id: hours_from_seconds(s) for user_id, s in training_seconds(user_ids).items()}


def user_training_seconds(user) -> int:
    if user is None or user.pk is None:
        return 0
    return training_seconds([user.pk])[user.pk]


def partner_member_ids(partner) -> list[int]:
    from tenancy.models import Membership

    return list(
        Membership.objects.filter(
            tenant_id=partner.tenant_id, partner_organization_id=partner.pk, is_active=True
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def partner_training_seconds(partner) -> int:
    """The partner's training time: the sum of its active members' (the tier provider)."""
    return sum(training_seconds(partner_member_ids(partner)).values())
