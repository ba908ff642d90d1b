"""Reads for applications: the queues of the console's applications page (awaiting me,
unassigned, held for review, all) and one application for its page."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tenancy import access
from tenancy.access import Actor

from ..models import Application, LifecycleState
from .organization import partner_organizations_for


def unassigned_q() -> Q:
    """The unassigned queue: a new prospect, still applied, with no manager and no decision
    (held applications belong to the partner they matched, never to the queue)."""
    return Q(
        held_for_review=False,
        decided_at__isnull=True,
        partner__channel_manager__isnull=True,
        partner__state=LifecycleState.APPLIED,
    )


def applications_for(actor: Actor) -> QuerySet[Application]:
    """Every application on partners the actor may see, plus the unassigned queue for those who
    may claim from it, newest first."""
    visible = Q(partner__in=partner_organizations_for(actor).order_by().values("pk"))
    if access.may_claim_application(actor):
        visible |= unassigned_q()
    return (
        Application.objects.filter(visible)
        .select_related("partner", "partner__channel_manager", "decided_by", "routing_rule")
        .order_by("-submitted_at")
    )


def applications_to_review(actor: Actor) -> QuerySet[Application]:
    """Held, undecided applications on partners the actor may see, newest first."""
    return applications_for(actor).filter(held_for_review=True, decided_at__isnull=True)


def applications_awaiting(actor: Actor) -> QuerySet[Application]:
    """Undecided applications on the partners the actor looks after (assigned to them)."""
    if actor.user is None:
        return Application.objects.none()
    return applications_for(actor).filter(
        decided_at__isnull=True, partner__channel_manager=actor.user
    )


def applications_unassigned(actor: Actor) -> QuerySet[Application]:
    return applications_for(actor).filter(unassigned_q())


def application_for_actor(actor: Actor, application_uuid) -> Application:
    """One application the actor may see. DoesNotExist → 404."""
    return applications_for(actor).get(uuid=application_uuid)


def is_unassigned(application: Application) -> bool:
    return Application.objects.filter(unassigned_q(), pk=application.pk).exists()


def was_claimable(application_uuid) -> bool:
    """An application of this tenant that went through the queue (not held): a claimer who
    comes too late is told it is taken rather than that it does not exist."""
    return Application.objects.filter(uuid=application_uuid, held_for_review=False).exists()
