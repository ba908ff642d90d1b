"""Routing reads: the tenant's rules in order, and who may be named approver."""

from __future__ import annotations

from django.db.models import QuerySet

from tenancy.access import Actor, Perm
from tenancy.models import User

from ..models import RoutingRule
from ..services.routing import APPROVER_ROLES


def routing_rules(actor: Actor) -> QuerySet[RoutingRule]:
    if not actor.has(Perm.PROGRAM_VIEW):
        return RoutingRule.objects.none()
    return RoutingRule.objects.select_related("approver").order_by("position", "id")


def approver_candidates() -> QuerySet[User]:
    """Active channel managers and program admins of the current tenant."""
    from tenancy.models import Membership

    user_ids = Membership.objects.filter(is_active=True, role__in=APPROVER_ROLES).values("user_id")
    return User.objects.filter(pk__in=user_ids, is_active=True).order_by("email")
