from __future__ import annotations

from django.db.models import Count, QuerySet

from tenancy import access
from tenancy.access import Actor

from ..models import PartnerOrganization


def partner_organizations_for(actor: Actor) -> QuerySet[PartnerOrganization]:
    """The partner organisations this actor may see, in SQL (role rules plus object grants)."""
    return access.scope_partner_organizations(actor, PartnerOrganization.objects.all()).order_by(
        "name"
    )


def partner_directory(actor: Actor) -> QuerySet[PartnerOrganization]:
    return (
        partner_organizations_for(actor)
        .select_related("channel_manager")
        .annotate(user_count=Count("memberships"))
    )
