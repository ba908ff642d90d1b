"""Reads of live sessions, scoped to the actor and shaped for the pages that use them."""

from __future__ import annotations

from django.db.models import (
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone

from tenancy.access import Actor, Perm

from .models import LiveSession, Registration, RegistrationStatus

ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


def _with_counts(qs: QuerySet) -> QuerySet:
    return (
        qs.select_related("course", "instructor")
        .annotate(
            confirmed_count=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            ),
            waitlist_count=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITLISTED)
            ),
        )
        .annotate(
            seats_left=ExpressionWrapper(
                F("capacity") - F("confirmed_count"), output_field=IntegerField()
            )
        )
    )


def visible_sessions(actor: Actor) -> QuerySet:
    """Sessions the actor may open: everything for program staff and partner users; only their
    own sessions for an instructor without program access."""
    qs = LiveSession.objects.all()
    if actor.has(Perm.PROGRAM_VIEW) or actor.has(Perm.PORTAL_VIEW):
        return qs
    if actor.is_vendor and actor.user is not None:
        return qs.filter(instructor=actor.user)
    return qs.none()


def console_sessions(actor: Actor) -> QuerySet:
    return _with_counts(visible_sessions(actor)).order_by("-starts_at", "-id")


def portal_sessions(actor: Actor, *, upcoming: bool = True) -> QuerySet:
    """Sessions for a partner user with seat counts and their own registration status."""
    qs = visible_sessions(actor)
    if upcoming:
        qs = qs.filter(starts_at__gt=timezone.now())
    mine = Registration.objects.filter(session=OuterRef("pk"), user=actor.user)
    return _with_counts(qs).annotate(my_status=Subquery(mine.values("status")[:1]))


def my_registrations(actor: Actor) -> QuerySet:
    if actor.user is None:
        return Registration.objects.none()
    return (
        Registration.objects.filter(user=actor.user, status__in=ACTIVE)
        .select_related("session")
        .order_by("session__starts_at", "id")
    )


def visible_registrations(actor: Actor) -> QuerySet:
    """Program staff see every registration; an instructor their sessions'; others their own."""
    qs = Registration.objects.select_related("session", "user")
    if actor.has(Perm.PROGRAM_VIEW):
        return qs
    if actor.user is None:
        return qs.none()
    if actor.is_vendor:
        return qs.filter(session__instructor=actor.user)
    return qs.filter(user=actor.user)


def session_roster(session: LiveSession) -> dict[str, list[Registration]]:
    rows = list(
        Registration.objects.filter(session=session, status__in=ACTIVE)
        .select_related("user")
        .order_by("queued_at", "id")
    )
    return {
        "confirmed": [r for r in rows if r.status == RegistrationStatus.CONFIRMED],
        "waitlisted": [r for r in rows if r.status == RegistrationStatus.WAITLISTED],
    }
