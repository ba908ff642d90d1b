"""Reads for tenancy, already scoped to what the actor may see and shaped for their pages."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from . import access
from .access import Actor
from .models import ApiKey, AuditEvent, Invitation, Membership


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


def pending_invitations(actor: Actor) -> QuerySet[Invitation]:
    qs = Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).select_related("partner_organization", "invited_by")
    if actor.is_partner:
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
