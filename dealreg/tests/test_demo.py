"""The deal-registration demo: every status, a conflict, a dispute, an SLA breach and live locks;
deals in euros for a dollar program, whose won ones are in the ledger converted, once."""

from __future__ import annotations

import pytest

from dealreg.models import DealRegistration, DealStatus, Dispute
from partners.models import ExchangeRate, RevenueRecord
from partners.services.currency import convert
from prm.demo import seed_demo
from tenancy.context import tenant_context
from tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_demo_deals_cover_the_story_and_other_currencies_post_converted():
    seed_demo()
    seed_demo()  # idempotent
    acme = Tenant.objects.get(slug="acme")
    with tenant_context(acme):
        statuses = set(DealRegistration.objects.values_list("status", flat=True))
        assert set(DealStatus.values) - {DealStatus.DRAFT} <= statuses
        assert DealRegistration.objects.exclude(conflicts=[]).exists()
        assert DealRegistration.objects.filter(sla_escalated_at__isnull=False).exists()
        assert Dispute.objects.exists()
        assert DealRegistration.objects.filter(status=DealStatus.APPROVED).count() >= 2

        assert set(ExchangeRate.objects.values_list("currency", flat=True)) >= {"EUR", "GBP"}
        in_euros = DealRegistration.objects.filter(currency="EUR")
        assert in_euros.exists()
        won = in_euros.filter(status=DealStatus.WON)
        assert won.exists()
        for deal in won:
            record = RevenueRecord.objects.get(external_ref=f"deal:{deal.uuid}")
            assert record.currency == "USD"
            assert record.amount == convert(deal.estimated_value, "EUR", "USD")
