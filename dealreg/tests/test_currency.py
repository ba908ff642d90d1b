"""Deals in other currencies: the registration minimum, the auto-approval cap, routing bounds and
the won-deal posting compare in one currency through the program's exchange rates, and do the
safe thing without a rate."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dealreg.models import DealEvent, DealStatus
from dealreg.services.outcomes import deal_outcome
from dealreg.services.routing import route
from partners.models import RevenueRecord
from partners.services.currency import exchange_rate_set
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import tenant_context

from .lifecycle import make_deal
from .pipeline_data import make_account
from .test_conflicts import ready, register
from .test_decisions import set_rules
from .test_routing import add_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(acme):
    """The program currency is USD (the default): 1 EUR = 1.10 USD, 1 GBP = 1.25 USD; no JPY."""
    with tenant_context(acme.tenant):
        exchange_rate_set(actor=SYSTEM, currency="EUR", rate="1.10")
        exchange_rate_set(actor=SYSTEM, currency="gbp", rate="1,25")


def test_the_minimum_applies_to_a_converted_value(acme, rates):
    ready(acme)
    set_rules(acme, min_value=Decimal("10000"), min_value_currency="USD")
    with pytest.raises(ValidationError) as error:
        register(acme, acme.partner_sales, estimated_value="8000", currency="EUR")
    [message] = error.value.message_dict["estimated_value"]
    assert "10000" in message and "8800.00 USD" in message  # says what the deal is worth
    assert register(acme, acme.partner_sales, estimated_value="9100", currency="EUR").pk
    # No rate for JPY: the minimum cannot be compared and is not applied.
    assert register(acme, acme.partner_sales, estimated_value="100", currency="JPY").pk


def test_the_auto_approval_cap_applies_to_a_converted_value(acme, rates):
    ready(acme)
    set_rules(
        acme,
        auto_approve=True,
        auto_approve_max_value=Decimal("50000"),
        min_value_currency="USD",
    )
    cases = (
        ("45000", "EUR", "approved"),
        ("46000", "EUR", "submitted"),
        ("10", "JPY", "submitted"),
    )
    for i, (value, currency, status) in enumerate(cases):
        deal = register(
            acme,
            acme.partner_sales,
            customer_name=f"Cap Co {i}",
            customer_domain=f"cap{i}.com",
            estimated_value=value,
            currency=currency,
        )
        assert deal.status == status, (value, currency)


def test_routing_bounds_are_in_the_program_currency(acme, rates):
    big = add_rule(acme, name="Big deals", min_value=Decimal("100000"), approver=acme.admin)
    with tenant_context(acme.tenant):
        # 95,000 EUR = 104,500 USD: big. 95,000 USD: not. GBP and EUR convert; JPY has no rate,
        # so the bounded rule cannot match and the channel manager decides.
        assert route(make_deal(acme, estimated_value=Decimal("95000"), currency="EUR"))[1] == big
        assert route(make_deal(acme, estimated_value=Decimal("95000"), currency="USD"))[1] is None
        assert route(make_deal(acme, estimated_value=Decimal("80000"), currency="GBP"))[1] == big
        approver, rule = route(make_deal(acme, estimated_value=Decimal("9e8"), currency="JPY"))
    assert rule is None and approver == acme.manager


def test_a_won_deal_in_another_currency_is_posted_converted(acme, rates):
    deal = make_deal(
        acme,
        account=make_account(acme),
        status=DealStatus.APPROVED,
        currency="EUR",
        estimated_value=Decimal("10000"),
    )
    with tenant_context(acme.tenant):
        deal_outcome(
            actor=actor_for_user(acme.partner_admin, acme.tenant), registration=deal, outcome="won"
        )
        record = RevenueRecord.objects.get()
        event = DealEvent.objects.get(registration=deal, action="revenue_converted")
    assert record.amount == Decimal("11000.00") and record.currency == "USD"
    assert "11000.00 USD" in event.note and "10000.00 EUR" in event.note


def test_a_won_deal_without_a_rate_is_not_posted_and_says_why(acme, rates):
    deal = make_deal(acme, account=make_account(acme), status=DealStatus.APPROVED, currency="JPY")
    with tenant_context(acme.tenant):
        deal_outcome(
            actor=actor_for_user(acme.partner_admin, acme.tenant), registration=deal, outcome="won"
        )
        assert not RevenueRecord.objects.exists()
        event = DealEvent.objects.get(registration=deal, action="revenue_not_posted")
    assert "no usable exchange rate for JPY" in event.note


def test_a_won_deal_converting_beyond_the_ledger_is_not_posted(acme, rates):
    with tenant_context(acme.tenant):
        exchange_rate_set(actor=SYSTEM, currency="KWD", rate="900000000")  # absurd, but allowed
    deal = make_deal(
        acme,
        account=make_account(acme),
        status=DealStatus.APPROVED,
        currency="KWD",
        estimated_value=Decimal("5000"),
    )
    with tenant_context(acme.tenant):
        deal_outcome(
            actor=actor_for_user(acme.partner_admin, acme.tenant), registration=deal, outcome="won"
        )
        deal.refresh_from_db()
        assert deal.status == DealStatus.WON and not RevenueRecord.objects.exists()
        assert DealEvent.objects.filter(registration=deal, action="revenue_not_posted").exists()
