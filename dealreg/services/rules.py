"""The tenant's deal-registration rules: its saved row, or the defaults until one is saved."""

from __future__ import annotations

from tenancy.context import require_current_tenant

from ..models import DealRules


def deal_rules() -> DealRules:
    """This tenant's DealRules row, or an unsaved one carrying the model defaults."""
    tenant = require_current_tenant()
    rules = DealRules.objects.filter(tenant=tenant).first()
    return rules if rules is not None else DealRules(tenant=tenant)
