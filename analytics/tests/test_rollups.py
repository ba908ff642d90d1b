"""Rollups are idempotent and incremental: a second run writes nothing, and a late-arriving won
deal changes only the rows it belongs to."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from analytics import rollups
from analytics.models import AttributionMonth, PartnerMonth
from dealreg.models import DealRegistration, DealStatus
from partners.models import RevenueKind, RevenueRecord
from tenancy.context import tenant_context

from . import reference

pytestmark = pytest.mark.django_db

D = Decimal


def _snapshot():
    partner = {
        (r.partner_id, r.month): (r.pk, r.computed_at, tuple(getattr(r, f) for f in r.METRICS))
        for r in PartnerMonth.objects.all()
    }
    attribution = {
        (r.partner_id, r.month, r.model, r.region, r.product): (
            r.pk,
            r.computed_at,
            (r.sourced, r.influenced),
        )
        for r in AttributionMonth.objects.all()
    }
    return partner, attribution


@pytest.fixture
def built(acme):
    with time_machine.travel(reference.TODAY, tick=False):
        partners = reference.build(acme)
    # Later than the safety margin, so the next refresh sees only what happens after it.
    with (
        time_machine.travel(reference.TODAY + timedelta(minutes=10), tick=False),
        tenant_context(acme.tenant),
    ):
        first = rollups.refresh()
    yield partners, first


def test_the_first_refresh_is_full_and_a_second_writes_nothing(built, acme):
    _partners, first = built
    assert first.kind == "full"
    assert first.rows_written > 0
    with tenant_context(acme.tenant):
        before = _snapshot()
        with time_machine.travel(reference.TODAY + timedelta(minutes=20), tick=False):
            again = rollups.refresh()
            full_again = rollups.refresh(full=True)
        assert again.rows_written == 0
        assert full_again.kind == "full"
        assert full_again.rows_written == 0
        assert _snapshot() == before


def test_a_late_won_deal_changes_only_its_rows(built, acme):
    partners, _first = built
    two = partners["two"]
    with tenant_context(acme.tenant):
        before_partner, before_attribution = _snapshot()
        later = reference.TODAY + timedelta(hours=1)
        with time_machine.travel(later, tick=False):
            deal = DealRegistration.objects.create(
                partner=two,
                customer_name="Late Corp",
                region="NA",
                estimated_value=D("2500"),
                currency="USD",
                expected_close_date=date(2026, 12, 31),
                status=DealStatus.WON,
                submitted_at=reference.at(date(2026, 9, 1)),
                closed_at=reference.at(date(2026, 10, 28)),
            )
            from dealreg.models import DealEvent

            DealEvent.objects.create(registration=deal, action="won", to_status=DealStatus.WON)
            RevenueRecord.objects.create(
                partner=two,
                kind=RevenueKind.SOURCED,
                customer="Late Corp",
                product="Cloud",
                amount=D("2500.00"),
                currency="USD",
                booked_on=date(2026, 10, 28),
                source="dealreg",
                external_ref=f"deal:{deal.uuid}",
            )
        with time_machine.travel(later + timedelta(minutes=1), tick=False):
            result = rollups.refresh()
        after_partner, after_attribution = _snapshot()

    assert result.kind == "incremental"
    # two's partner rows; attribution: October, for the one partner on the new deal (two)
    assert result.partners == 1
    assert result.rows_written == 6
    september, october = date(2026, 9, 1), date(2026, 10, 1)
    changed = {k for k in after_partner if after_partner[k] != before_partner.get(k)}
    # registered in September, won and booked in October
    assert changed == {(two.pk, september), (two.pk, october)}
    assert after_partner[(two.pk, october)][2][0] == D("2500.00")  # revenue
    changed_attribution = {
        k for k in after_attribution if after_attribution[k] != before_attribution.get(k)
    }
    assert changed_attribution == {
        (two.pk, october, model, "NA", "Cloud")
        for model in ("first_touch", "last_touch", "linear", "weighted")
    }
    # Every other row kept its id and its time of computing.
    for key, row in before_partner.items():
        if key not in changed:
            assert after_partner[key] == row


def test_a_recorded_touch_moves_credit_between_the_partners_involved(built, acme):
    partners, _first = built
    from analytics.models import DealTouch, TouchKind

    one, three = partners["one"], partners["three"]
    with tenant_context(acme.tenant):
        later = reference.TODAY + timedelta(hours=2)
        with time_machine.travel(later, tick=False):
            DealTouch.objects.create(
                registration=partners["won_deal"],
                partner=three,
                kind=TouchKind.INFLUENCE,
                touched_on=date(2026, 11, 1),
            )
        with time_machine.travel(later + timedelta(minutes=1), tick=False):
            result = rollups.refresh()
        linear = {
            r.partner_id: r.sourced + r.influenced
            for r in AttributionMonth.objects.filter(model="linear", month=date(2026, 11, 1))
        }
    assert result.kind == "incremental"
    # Four touches on the 6,000 deal now: 1,500 each; three has two of them.
    assert linear[three.pk] == D("3000.0000")
    assert linear[one.pk] == D("1500.0000")


def test_rows_an_incremental_refresh_updates_keep_their_region(built, acme):
    """An updated attribution row keeps its key (region included): a full refresh right after
    finds nothing to write."""
    partners, _first = built
    from analytics.models import DealTouch, TouchKind

    with tenant_context(acme.tenant):
        later = reference.TODAY + timedelta(hours=2)
        with time_machine.travel(later, tick=False):
            DealTouch.objects.create(
                registration=partners["won_deal"],
                partner=partners["three"],
                kind=TouchKind.INFLUENCE,
                touched_on=date(2026, 11, 1),
            )
        with time_machine.travel(later + timedelta(minutes=1), tick=False):
            regions_before = set(AttributionMonth.objects.values_list("region", flat=True))
            incremental = rollups.refresh()
            regions_after = set(AttributionMonth.objects.values_list("region", flat=True))
        with time_machine.travel(later + timedelta(minutes=2), tick=False):
            full = rollups.refresh(full=True)
    assert incremental.rows_written > 0
    assert regions_after == regions_before
    assert full.rows_written == 0


def test_incremental_refreshes_agree_with_a_full_one(built, acme):
    """Late revenue, won deals reopened, touches added and removed, tier changes, logins,
    certifications awarded and revoked, MDF paid for an earlier month, in random order,
    each followed by an incremental refresh: a full refresh after each finds nothing to write
    (the narrow unit of work of the incremental refresh misses no row)."""
    import random

    from analytics.models import DealTouch, TouchKind
    from dealreg.models import DealEvent
    from enablement.certs.models import Certification, CertificationAward
    from onboarding.models import PortalLogin
    from partners.models import Tier, TierChange
    from tenancy.models import Membership

    partners, _first = built
    people = [partners["one"], partners["two"], partners["three"]]
    rng = random.Random(15)
    clock = reference.TODAY + timedelta(hours=1)
    with tenant_context(acme.tenant):
        tiers = list(Tier.objects.all()) + [None]
        deals = [partners["won_deal"]]

        def late_record():
            RevenueRecord.objects.create(
                partner=rng.choice(people),
                kind=rng.choice([RevenueKind.SOURCED, RevenueKind.INFLUENCED]),
                customer="Late",
                product=rng.choice(["Cloud", "Support", ""]),
                amount=D(rng.randrange(100, 9000)),
                currency="USD",
                booked_on=date(2026, rng.randrange(1, 13), rng.randrange(1, 28)),
            )

        def won_deal():
            booked = date(2026, rng.randrange(6, 13), 3)
            deal = DealRegistration.objects.create(
                partner=rng.choice(people),
                customer_name="Won Corp",
                region=rng.choice(["EMEA", "NA", ""]),
                estimated_value=D("1000"),
                currency="USD",
                expected_close_date=date(2026, 12, 31),
                status=DealStatus.WON,
                submitted_at=reference.at(date(2026, 5, 1)),
                closed_at=reference.at(booked),
            )
            DealEvent.objects.create(registration=deal, action="won", to_status=DealStatus.WON)
            RevenueRecord.objects.create(
                partner=deal.partner,
                kind=RevenueKind.SOURCED,
                customer="Won Corp",
                product="Cloud",
                amount=D(rng.randrange(100, 9000)),
                currency="USD",
                booked_on=booked,
                source="dealreg",
                external_ref=f"deal:{deal.uuid}",
            )
            deals.append(deal)

        def add_touch():
            DealTouch.objects.create(
                registration=rng.choice(deals),
                partner=rng.choice(people),
                kind=rng.choice(list(TouchKind.values)),
                touched_on=date(2026, rng.randrange(1, 13), 1),
            )

        def remove_touch():
            live = list(DealTouch.objects.filter(removed_at=None))
            if live:
                touch = rng.choice(live)
                touch.removed_at = clock
                touch.save(update_fields=["removed_at"])

        def tier_change():
            partner = rng.choice(people)
            before, partner.tier = partner.tier, rng.choice(tiers)
            partner.save(update_fields=["tier"])
            TierChange.objects.create(
                partner=partner, from_tier=before, to_tier=partner.tier, by_label="test"
            )

        def reopen_deal():
            won = [d for d in deals if d.status == DealStatus.WON]
            if won:
                deal = rng.choice(won)
                deal.status, deal.closed_at = DealStatus.APPROVED, None
                deal.save(update_fields=["status", "closed_at"])
                DealEvent.objects.create(
                    registration=deal,
                    action="reopened",
                    from_status=DealStatus.WON,
                    to_status=DealStatus.APPROVED,
                )

        person_ids = list(
            Membership.objects.filter(partner_organization=partners["one"]).values_list(
                "user_id", flat=True
            )
        )

        def login():
            PortalLogin.objects.create(
                user_id=rng.choice(person_ids), partner=partners["one"], logged_in_at=clock
            )

        def award():
            CertificationAward.objects.create(
                certification=Certification.objects.order_by("?").first(),
                user_id=rng.choice(person_ids),
                partner=partners["one"],
                issued_at=clock,
                expires_at=reference.at(date(2027, 6, 1)),
                verification_code=f"R{rng.randrange(10**9)}",
            )

        def revoke():
            live = list(CertificationAward.objects.filter(revoked_at=None))
            if live:
                chosen = rng.choice(live)
                chosen.revoked_at = clock
                chosen.save(update_fields=["revoked_at"])

        def payout():  # a claim paid for an earlier month
            reference.pay_mdf(acme, "250.00", date(2026, rng.randrange(6, 12), 9))

        events = [
            late_record,
            won_deal,
            add_touch,
            add_touch,
            remove_touch,
            tier_change,
            reopen_deal,
            login,
            award,
            revoke,
        ]
        sequence = [*events * 3, payout]  # (one fund: one payout)
        for step, event in enumerate(rng.sample(sequence, len(sequence))):
            with time_machine.travel(clock, tick=False):
                event()
            clock += timedelta(minutes=1)
            with time_machine.travel(clock, tick=False):
                incremental = rollups.refresh()
                full = rollups.refresh(full=True)
            assert incremental.kind == "incremental"
            assert full.rows_written == 0, f"step {step} ({event.__name__}): rows missed"
            clock += timedelta(minutes=10)
