"""Reads for applications held for review (they matched an existing partner)."""

from __future__ import annotations

from django.db.models import QuerySet

from tenancy.access import Actor

from ..models import Application
from .organization import partner_organizations_for


def applications_to_review(actor: Actor) -> QuerySet[Application]:
    """Held, undecided applications on partners the actor may see, newest first."""
    return (
        Application.objects.filter(
            held_for_review=True,
            decided_at__isnull=True,
            partner__in=partner_organizations_for(actor).order_by().values("pk"),
        )
        .select_related("partner", "partner__channel_manager")
        .order_by("-submitted_at")
    )


def applications_for(actor: Actor) -> QuerySet[Application]:
    """Every application on partners the actor may see, newest first."""
    return (
        Application.objects.filter(
            partner__in=partner_organizations_for(actor).order_by().values("pk")
        )
        .select_related("partner", "partner__channel_manager", "decided_by")
        .order_by("-submitted_at")
    )


def application_for_actor(actor: Actor, application_uuid) -> Application:
    """One application on a partner the actor may see. DoesNotExist → 404."""
    return applications_for(actor).get(uuid=application_uuid)
