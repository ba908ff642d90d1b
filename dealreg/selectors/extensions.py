"""Extension request reads, scoped: a partner user sees their organisation's; vendor staff those of
the partners in their scope (plus registrations routed to them)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tenancy import access
from tenancy.access import Actor, Perm

from ..models import ExtensionRequest, ExtensionStatus


def extensions_for(actor: Actor) -> QuerySet[ExtensionRequest]:
    if not actor.has(Perm.DEALS_VIEW):
        return ExtensionRequest.objects.none()
    qs = ExtensionRequest.objects.select_related(
        "registration",
        "registration__partner",
        "registration__assigned_to",
        "requested_by",
        "decided_by",
    )
    in_scope = access.scope_partner_owned(actor, qs, field="registration__partner")
    if actor.is_vendor and actor.user is not None:
        qs = qs.filter(Q(pk__in=in_scope.values("pk")) | Q(registration__assigned_to=actor.user))
    else:
        qs = in_scope
    return qs.order_by("-created_at", "-id")


def pending_extensions_for(actor: Actor) -> QuerySet[ExtensionRequest]:
    return extensions_for(actor).filter(status=ExtensionStatus.PENDING).order_by("created_at", "id")
