"""Reads for tenancy, already scoped to what the actor may see and shaped for their pages."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import access
from .access import Actor
from .models import ApiKey, AuditEvent, Invitation, Membership
from .roles import Role


def team_members(
    actor: Actor,
    *,
    partner_organization_id: int | None = None,
    search: str = "",
    role: str = "",
) -> QuerySet[Membership]:
    qs = access.scope_memberships(actor, Membership.objects.all())
    if partner_organization_id is not None:
        qs = qs.filter(partner_organization_id=partner_organization_id)
    if search:
        qs = qs.filter(Q(user__email__icontains=search) | Q(user__full_name__icontains=search))
    if role:
        qs = qs.filter(role=role)
    return qs.select_related("user", "partner_organization").order_by(
        "partner_organization__name", "user__email"
    )


def partner_managers(actor: Actor) -> QuerySet[Membership]:
    """The active staff who can look after partners (channel managers and program admins), for
    "channel manager" pickers and filters: their names are on every partner's page already.
    Vendor staff who may see partners may see them; nobody else."""
    if not (actor.is_vendor and actor.has(access.Perm.PARTNERS_VIEW)):
        return Membership.objects.none()
    return (
        Membership.objects.filter(
            role__in=(Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN), is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    )


def pending_invitations(actor: Actor) -> QuerySet[Invitation]:
    qs = (
        Invitation.objects.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("partner_organization", "invited_by")
        .order_by("-created_at", "-id")
    )
    # As on the team pages: the portal's for partner admins, the console's for staff.view.
    if actor.is_partner and actor.has(access.Perm.PARTNER_TEAM_MANAGE):
        return qs.filter(partner_organization_id=actor.partner_organization_id)
    if actor.has(access.Perm.STAFF_VIEW):
        return qs
    return qs.none()


def api_keys(actor: Actor) -> QuerySet[ApiKey]:
    return (
        access.scope_api_keys(actor, ApiKey.objects.all())
        .select_related("partner_organization", "created_by")
        .order_by("-created_at")
    )


def audit_events(actor: Actor) -> QuerySet[AuditEvent]:
    if not actor.has(access.Perm.AUDIT_VIEW):
        return AuditEvent.objects.none()
    return AuditEvent.objects.select_related("actor").order_by("-created_at", "-id")
