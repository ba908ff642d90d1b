"""Reads for the cadence console: the steps with how much mail each produced."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from ..models import CadenceStep, EmailStatus


def cadence_steps() -> QuerySet[CadenceStep]:
    return CadenceStep.objects.annotate(
        sent_count=Count("emails", filter=Q(emails__status=EmailStatus.SENT)),
        skipped_count=Count(
            "emails",
            filter=Q(emails__status__in=[EmailStatus.SKIPPED, EmailStatus.UNSUBSCRIBED]),
        ),
    ).order_by("day_offset", "id")
