"""Reads for the cadence console: the steps with how much mail each produced."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from tenancy.models import OutboundEmail

from ..models import CadenceStep, EmailKind, EmailStatus


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
