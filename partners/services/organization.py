"""Writes for partner organisations. The full program (profiles, lifecycle, tiers) arrives with
the partner-program issue."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant

from ..models import PartnerOrganization


@transaction.atomic
def partner_organization_create(
    *, actor: Actor, name: str, partner_type: str, website: str = "", channel_manager=None
) -> PartnerOrganization:
    if actor is not access.SYSTEM:
        access.require(actor, Perm.PARTNERS_MANAGE)
    if PartnerOrganization.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("A partner with this name already exists.")})
    partner = PartnerOrganization(
        tenant=require_current_tenant(),
        name=name.strip(),
        partner_type=partner_type,
        website=website,
        channel_manager=channel_manager,
    )
    partner.full_clean(exclude=["tenant"])
    partner.save()
    audit_record(
        actor=actor,
        action="partner.created",
        target=partner,
        changes={"partner_type": partner_type},
    )
    return partner
