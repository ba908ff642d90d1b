"""The MDF ledger on a hand-built scenario: every step's balances, computed by hand, equal both
the allocation's stored totals and the sums of its ledger entries; nothing goes below zero."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from mdf.models import Allocation, CarryOver, EntryKind, Fund, FundPeriod, LedgerEntry
from mdf.services import ledger
from mdf.services import requests as mdf
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context

from .helpers import actor, funded, make_fund, proof, request_data

pytestmark = pytest.mark.django_db

D = Decimal


def balances(world, allocation) -> dict:
    with tenant_context(world.tenant):
        allocation = Allocation.objects.get(pk=allocation.pk)
        stored = {column: getattr(allocation, column) for column in ledger.COLUMNS}
        assert stored == ledger.ledger_totals(allocation), "stored totals differ from the ledger"
        assert stored["available"] == (
            stored["allocated"]
            - stored["held"]
            - stored["committed"]
            - stored["paid"]
            - stored["carried_out"]
        )
    return {k: v for k, v in stored.items() if v}


def test_the_hand_built_scenario_balances_at_every_step(acme):
    fund, allocation = funded(
        acme, amount="10000", carry_over=CarryOver.SHARE, carry_over_pct=D("50")
    )
    partner = actor(acme, acme.partner_admin)
    admin = actor(acme, acme.admin)
    manager = actor(acme, acme.manager)
    assert balances(acme, allocation) == {"allocated": D("10000"), "available": D("10000")}
    with tenant_context(acme.tenant):
        assert Fund.objects.get(pk=fund.pk).unallocated == D("90000")

        first = mdf.request_submit(actor=partner, allocation=allocation, **request_data())
        second = mdf.request_submit(
            actor=partner,
            allocation=allocation,
            **request_data(title="Webinar series", activity_type="webinar", amount=D("3000")),
        )
    assert balances(acme, allocation) == {
        "allocated": D("10000"),
        "held": D("7000"),
        "available": D("3000"),
    }
    with tenant_context(acme.tenant):
        # The manager approves 3,500.00 of the 4,000.00: 500.00 goes back to the balance.
        mdf.request_decide(
            actor=manager,
            fund_request=first,
            decision="approve",
            amount="3500",
            comment="Venue is cheaper in March.",
        )
        mdf.request_decide(
            actor=manager, fund_request=second, decision="reject", comment="Not this quarter."
        )
    assert balances(acme, allocation) == {
        "allocated": D("10000"),
        "committed": D("3500"),
        "available": D("6500"),
    }
    with tenant_context(acme.tenant):
        first.refresh_from_db()
        assert first.claim_deadline == first.ends_on + timedelta(days=30)
        # A partial claim: 3,000.00 spent of 3,500.00 approved; approving it releases 500.00.
        claim = mdf.claim_submit(
            actor=partner,
            fund_request=first,
            spent="3000",
            spent_currency="USD",
            leads=35,
            pipeline="180000",
            files=[("invoice", proof())],
        )
        mdf.claim_decide(actor=manager, claim=claim, decision="approve")
    assert balances(acme, allocation) == {
        "allocated": D("10000"),
        "committed": D("3000"),
        "available": D("7000"),
    }
    with tenant_context(acme.tenant):
        mdf.payout_record(
            actor=admin,
            claim=claim,
            method="bank_transfer",
            reference="TRX-2291",
            paid_on=timezone.localdate(),
        )
    assert balances(acme, allocation) == {
        "allocated": D("10000"),
        "paid": D("3000"),
        "available": D("7000"),
    }
    # Carry-over: half of the 7,000.00 unspent moves to next quarter's fund.
    with tenant_context(acme.tenant):
        following = ledger.fund_create(
            actor=admin,
            name="MDF next quarter",
            period=FundPeriod.QUARTER,
            starts_on=fund.ends_on + timedelta(days=1),
            ends_on=fund.ends_on + timedelta(days=90),
            budget="50000",
        )
        assert ledger.fund_carry_over(actor=admin, fund=fund, into=following) == 1
        carried = Allocation.objects.get(fund=following, partner=acme.partner)
    assert balances(acme, allocation) == {
        "allocated": D("10000"),
        "paid": D("3000"),
        "carried_out": D("3500"),
        "available": D("3500"),
    }
    assert balances(acme, carried) == {"allocated": D("3500"), "available": D("3500")}
    with tenant_context(acme.tenant):
        # Carried funds come on top of the new budget.
        assert Fund.objects.get(pk=following.pk).unallocated == D("50000")
        kinds = list(
            LedgerEntry.objects.filter(allocation=allocation).values_list("kind", "amount")
        )
    assert kinds == [
        (EntryKind.ALLOCATED, D("10000.00")),
        (EntryKind.HELD, D("4000.00")),
        (EntryKind.HELD, D("3000.00")),
        (EntryKind.COMMITTED, D("3500.00")),
        (EntryKind.RELEASED, D("500.00")),
        (EntryKind.RELEASED, D("3000.00")),
        (EntryKind.RELEASED, D("500.00")),
        (EntryKind.PAID, D("3000.00")),
        (EntryKind.CARRIED_OUT, D("3500.00")),
    ]


def test_a_request_above_the_balance_is_refused_and_holds_nothing(acme):
    _fund, allocation = funded(acme, amount="5000")
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as refused:
        mdf.request_submit(
            actor=actor(acme, acme.partner_admin),
            allocation=allocation,
            **request_data(amount=D("5000.01")),
        )
    assert refused.value.message_dict["amount"] == [
        "Not enough funds: 5,000.00 USD is available in MDF this quarter."
    ]
    assert balances(acme, allocation) == {"allocated": D("5000"), "available": D("5000")}
    with tenant_context(acme.tenant):
        assert not allocation.requests.exists()


def test_the_database_refuses_a_negative_balance_even_without_the_service(acme):
    _fund, allocation = funded(acme, amount="100")
    with tenant_context(acme.tenant):
        with pytest.raises(IntegrityError), transaction.atomic():
            Allocation.objects.filter(pk=allocation.pk).update(available=D("-0.01"))
        with pytest.raises(IntegrityError), transaction.atomic():
            Fund.objects.filter(pk=allocation.fund_id).update(unallocated=D("-1"))


def test_allocations_cannot_exceed_the_budget_nor_drop_below_what_is_used(acme):
    fund, allocation = funded(acme, amount="10000", budget="12000")
    admin = actor(acme, acme.admin)
    with tenant_context(acme.tenant):
        with pytest.raises(ValidationError) as over:
            ledger.allocation_set(actor=admin, fund=fund, partner=acme.other_partner, amount="2001")
        assert over.value.message_dict["amount"] == [
            "Only 2,000.00 USD of MDF this quarter is left to allocate."
        ]
        mdf.request_submit(
            actor=actor(acme, acme.partner_admin),
            allocation=allocation,
            **request_data(amount=D("6000")),
        )
        with pytest.raises(ValidationError) as under:
            ledger.allocation_set(actor=admin, fund=fund, partner=acme.partner, amount="5999")
        assert "cannot be lower" in under.value.message_dict["amount"][0]
        # Lowering to exactly what is used is fine, and gives the rest back to the budget.
        ledger.allocation_set(actor=admin, fund=fund, partner=acme.partner, amount="6000")
        assert Fund.objects.get(pk=fund.pk).unallocated == D("6000")
    assert balances(acme, allocation) == {"allocated": D("6000"), "held": D("6000")}


def test_a_fund_budget_cannot_drop_below_what_is_allocated(acme):
    fund, _allocation = funded(acme, amount="10000", budget="12000")
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as refused:
        ledger.fund_update(actor=actor(acme, acme.admin), fund=fund, budget="9999")
    assert refused.value.message_dict["budget"] == [
        "10,000.00 USD is allocated already; the budget cannot be lower."
    ]


def test_carry_over_all_and_lapse(acme):
    admin = actor(acme, acme.admin)
    fund, allocation = funded(acme, amount="800", carry_over=CarryOver.ALL)
    lapsing = make_fund(acme, name="Lapsing", budget="100")
    with tenant_context(acme.tenant):
        ledger.allocation_set(actor=admin, fund=lapsing, partner=acme.partner, amount="100")
        nxt = ledger.fund_create(
            actor=admin,
            name="Next",
            period=FundPeriod.QUARTER,
            starts_on=fund.ends_on + timedelta(days=1),
            ends_on=fund.ends_on + timedelta(days=60),
            budget="0",
        )
        nxt2 = ledger.fund_create(
            actor=admin,
            name="Next two",
            period=FundPeriod.QUARTER,
            starts_on=fund.ends_on + timedelta(days=1),
            ends_on=fund.ends_on + timedelta(days=60),
            budget="0",
        )
        assert ledger.fund_carry_over(actor=admin, fund=fund, into=nxt) == 1
        assert ledger.fund_carry_over(actor=admin, fund=lapsing, into=nxt2) == 0
        assert Allocation.objects.get(fund=nxt, partner=acme.partner).available == D("800")
        assert not Allocation.objects.filter(fund=nxt2).exists()
        # A closed period takes no new allocations and no second carry-over.
        with pytest.raises(ValidationError):
            ledger.allocation_set(actor=admin, fund=fund, partner=acme.partner, amount="900")
        with pytest.raises(ValidationError):
            ledger.fund_carry_over(actor=admin, fund=fund, into=nxt2)
    assert balances(acme, allocation) == {"allocated": D("800"), "carried_out": D("800")}


def test_tier_rules_allocate_a_share_of_trailing_revenue_capped_and_keep_manual_ones(acme):
    from partners.models import LifecycleState, RevenueRecord, Tier

    fund, _manual = funded(acme, amount="500", allocation_cap="4000", budget="20000")
    admin = actor(acme, acme.admin)
    today = timezone.localdate()
    with tenant_context(acme.tenant):
        gold = Tier.objects.create(name="Gold", rank=3, mdf_eligible=True, mdf_share_pct=D("3"))
        silver = Tier.objects.create(
            name="Silver", rank=2, mdf_eligible=True, mdf_share_pct=D("2.5")
        )
        bronze = Tier.objects.create(name="Bronze", rank=1, mdf_eligible=False)
        partners = []
        for name, tier, revenue in (
            ("Gold big", gold, "412000"),  # 3 % = 12,360.00, capped at 4,000.00
            ("Silver small", silver, "10000.20"),  # 2.5 % = 250.005 -> 250.01 (half up)
            ("Bronze", bronze, "900000"),  # not eligible
        ):
            partner = PartnerOrganizationFactory(
                tenant=acme.tenant, name=name, tier=tier, state=LifecycleState.ACTIVE
            )
            RevenueRecord.objects.create(
                partner=partner,
                kind="sourced",
                customer="C",
                amount=D(revenue),
                currency="USD",
                booked_on=today,
            )
            partners.append(partner)
        # The world's partner (allocated 500.00 by hand) is Gold too: its allocation is kept.
        acme.partner.tier, acme.partner.state = gold, LifecycleState.ACTIVE
        acme.partner.save()
        run = ledger.allocations_run(actor=admin, fund=fund, today=today)
        amounts = dict(
            Allocation.objects.filter(fund=fund).values_list("partner__name", "allocated")
        )
        fund.refresh_from_db()
    assert (run.created, run.changed, run.skipped_manual) == (2, 0, 1)
    assert amounts == {
        acme.partner.name: D("500.00"),
        "Gold big": D("4000.00"),
        "Silver small": D("250.01"),
    }
    assert fund.unallocated == D("20000") - D("500") - D("4000") - D("250.01")
    with tenant_context(acme.tenant):
        for allocation in Allocation.objects.filter(fund=fund):
            assert ledger.ledger_totals(allocation)["available"] == allocation.available
        # Running again changes nothing.
        again = ledger.allocations_run(actor=admin, fund=fund, today=today)
    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)


def test_the_balance_chart_sums_the_ledger_month_by_month(acme):
    """Allocated in the first month, approved in the second, claimed for less and paid in the
    third: each month shows the running totals at its end (the database sums by month)."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    from mdf.models import Claim, LedgerEntry
    from mdf.selectors import balance_chart

    fund, allocation = funded(acme, amount="10000")
    partner, manager = actor(acme, acme.partner_admin), actor(acme, acme.manager)
    with tenant_context(acme.tenant):
        fund_request = mdf.request_submit(
            actor=partner, allocation=allocation, **request_data(amount=Decimal("4000"))
        )
        mdf.request_decide(actor=manager, fund_request=fund_request, decision="approve")
        first_entries = set(LedgerEntry.objects.values_list("pk", flat=True))
        claim = mdf.claim_submit(
            actor=partner,
            fund_request=fund_request,
            spent="3000",
            spent_currency="USD",
            files=[("invoice", proof())],
        )
        mdf.claim_decide(actor=manager, claim=Claim.objects.get(pk=claim.pk), decision="approve")
        mdf.payout_record(
            actor=actor(acme, acme.admin),
            claim=Claim.objects.get(pk=claim.pk),
            method="bank_transfer",
            reference="R-1",
            paid_on=timezone.localdate(),
        )

        def at(days):
            return timezone.make_aware(
                datetime.combine(fund.starts_on + timedelta(days=days), time(12))
            )

        entries = LedgerEntry.objects.all()
        entries.filter(kind="allocated").update(created_at=at(5))
        entries.filter(pk__in=first_entries).exclude(kind="allocated").update(created_at=at(35))
        entries.exclude(pk__in=first_entries).update(created_at=at(65))
        chart = balance_chart(allocation, today=fund.ends_on)
    series = {s.name: s.values for s in chart.series}
    assert len(chart.categories) == 3
    assert series["Allocated"] == [Decimal("10000.00")] * 3
    assert series["Committed"] == [Decimal("0.00"), Decimal("4000.00"), Decimal("0.00")]
    assert series["Paid"] == [Decimal("0.00"), Decimal("0.00"), Decimal("3000.00")]
