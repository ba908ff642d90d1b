"""Reads for the cadence console: the steps with how much mail each produced."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from partners.models import LifecycleState
from tenancy.models import OutboundEmail

from ..models import CadenceStep, EmailKind, EmailStatus, OnboardingRun


def _count_of_step_mail(*statuses: str) -> Coalesce:
    counted = (
        OutboundEmail.objects.unscoped()
        .filter(
            tenant_id=OuterRef("tenant_id"),
            kind=EmailKind.CADENCE,
            source_uuid=OuterRef("uuid"),
            status__in=statuses,
        )
        .order_by()
        .values("source_uuid")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def cadence_steps() -> QuerySet[CadenceStep]:
    return CadenceStep.objects.annotate(
        sent_count=_count_of_step_mail(EmailStatus.SENT),
        skipped_count=_count_of_step_mail(EmailStatus.SKIPPED, EmailStatus.UNSUBSCRIBED),
    ).order_by("day_offset", "id")


def tenants_with_cadence_due(now=None) -> set[int]:
    """Active tenants where a partner is inside an active cadence step's sending window (from the
    step's day to GRACE_DAYS after it, counted from the signature), i.e. where
    `services.cadence.cadence_send_due` may create mail. Platform-wide (unscoped): one query for
    the tenants' active steps, one for the runs signed within the longest window."""
    from ..services.cadence import GRACE_DAYS

    now = now or timezone.now()
    offsets: dict[int, set[int]] = {}
    for tenant_id, day_offset in (
        CadenceStep.objects.unscoped()
        .filter(is_active=True, tenant__is_active=True)
        .values_list("tenant_id", "day_offset")
    ):
        offsets.setdefault(tenant_id, set()).add(day_offset)
    if not offsets:
        return set()
    horizon = now - timedelta(days=max(max(o) for o in offsets.values()) + GRACE_DAYS + 1)
    runs = (
        OnboardingRun.objects.unscoped()
        .filter(
            tenant__in=list(offsets),
            signature__signed_at__gte=horizon,
            partner__is_active=True,
        )
        .exclude(partner__state__in=[LifecycleState.SUSPENDED, LifecycleState.RETIRED])
        .values_list("tenant_id", "signature__signed_at")
    )
    due: set[int] = set()
    for tenant_id, signed_at in runs:
        days = (now - signed_at).days
        if tenant_id not in due and any(o <= days <= o + GRACE_DAYS for o in offsets[tenant_id]):
            due.add(tenant_id)
    return due
