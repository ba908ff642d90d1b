"""Registrations in a given state, made directly (tests of SLA, routing, expiry, extensions)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from tenancy.context import tenant_context

from ..models import DealRegistration, DealRules, DealStatus


def make_deal(world, *, partner=None, status=DealStatus.SUBMITTED, **fields) -> DealRegistration:
    now = timezone.now()
    values = {
        "customer_name": "Initech",
        "customer_domain": "initech.com",
        "customer_country": "US",
        "region": "NA",
        "estimated_value": Decimal("50000"),
        "currency": "USD",
        "expected_close_date": date.today() + timedelta(days=60),
        "submitted_by": world.partner_sales,
        "submitted_at": now,
        "created_at": now,
    }
    if status == DealStatus.APPROVED:
        values.update(approved_at=now, decided_at=now, expires_at=now + timedelta(days=90))
    values.update(fields)
    with tenant_context(world.tenant):
        return DealRegistration.objects.create(
            tenant=world.tenant, partner=partner or world.partner, status=status, **values
        )


def set_rules(world, **fields) -> DealRules:
    with tenant_context(world.tenant):
        rules, _ = DealRules.objects.update_or_create(tenant=world.tenant, defaults=fields)
        return rules
