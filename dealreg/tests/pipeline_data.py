"""Test data for locks, disputes, pipeline, outcomes and reports, built straight with the models
(no onboarding gate, no approval flow): accounts and registrations in any status."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from dealreg.models import CustomerAccount, DealRegistration, DealStatus
from dealreg.services.accounts import normalize_account_name
from tenancy.access import actor_for_user
from tenancy.context import tenant_context


def make_account(world, name="Initech", domain="initech.com", owner=None, **extra):
    with tenant_context(world.tenant):
        return CustomerAccount.objects.create(
            tenant=world.tenant,
            name=name,
            normalized_name=normalize_account_name(name),
            domain=domain,
            owner=owner,
            **extra,
        )


def make_deal(world, partner=None, account=None, status=DealStatus.SUBMITTED, **fields):
    """A registration of `partner` (default the world's); approved ones lock `account` for 90
    days from now unless `expires_at` says otherwise."""
    partner = partner or world.partner
    now = timezone.now()
    values = {
        "customer_name": account.name if account else "Initech",
        "customer_domain": account.domain if account else "",
        "estimated_value": Decimal("1000.00"),
        "currency": "USD",
        "expected_close_date": timezone.localdate() + timedelta(days=30),
        "submitted_at": now,
        "products": ["Platform"],
        "region": "NA",
    }
    if status == DealStatus.APPROVED:
        values.update(approved_at=now, decided_at=now, expires_at=now + timedelta(days=90))
    values.update(fields)
    submitter = values.pop("submitted_by", None)
    if submitter is None and partner == world.partner:
        submitter = world.partner_sales
    with tenant_context(world.tenant):
        return DealRegistration.objects.create(
            tenant=world.tenant,
            partner=partner,
            account=account,
            submitted_by=submitter,
            status=status,
            **values,
        )


def actor(world, user):
    return actor_for_user(user, world.tenant)
