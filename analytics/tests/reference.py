"""The hand-computed reference data set every metric is checked against.

Today is 2026-12-06; program currency USD; the period is October–November 2026.

Partners (all active since 2026-01, cost rule "managed", a channel manager costs 3,000 a month,
other program cost 900 a month):

| partner | tier (discount) | region | type     | manager       |
|---------|-----------------|--------|----------|---------------|
| one     | Gold (10 %)     | EMEA   | reseller | the manager   |
| two     | Silver (5 %)    | NA     | referral | the manager   |
| three   | none            | APAC   | msp      | none          |

Management cost per month: the manager's 3,000 over their 2 partners = 1,500 each, plus
900 / 3 = 300 each → one 1,800, two 1,800, three 300; over two months 3,600 / 3,600 / 600.

Revenue (the ledger):
- R1: one, typed in, sourced, 10,000.00, 2026-10-05, product Cloud.
- R2: a won deal registered by one (submitted 2026-09-15, region EMEA), 6,000.00 booked
  2026-11-10, product Cloud. Touches: two referred the customer on 2026-09-01; three co-sold on
  2026-10-20.
- R3: two, typed in, influenced, 3,000.00, 2026-11-12, product Support.
- R0: one, sourced, 99,999.00 in 2026-08 (outside the period: counts nowhere).

R2 under each model (touches in order: two referral, one registered, three co-sell):
- first touch: two 6,000 sourced; last touch: three 6,000 influenced;
- linear: 2,000 each (two sourced, one sourced, three influenced);
- weighted (registered 40, referral 20, co-sell 10; total 70): one 3,428.5714, two 1,714.2857,
  three 857.1429.

| model    | revenue   | sourced   | influenced | sourced share |
|----------|-----------|-----------|------------|---------------|
| first    | 19,000.00 | 16,000.00 | 3,000.00   | 84.2 %        |
| last     | 19,000.00 | 10,000.00 | 9,000.00   | 52.6 %        |
| linear   | 19,000.00 | 14,000.00 | 5,000.00   | 73.7 %        |
| weighted | 19,000.00 | 15,142.86 | 3,857.14   | 79.7 % (15,142.8571 / 19,000 = 79.699 %) |

Costs: margin given one (10,000 + 6,000) × 10 % = 1,600.00, two 3,000 × 5 % = 150.00; MDF paid
one 500.00 (2026-11-20); management 3,600 + 3,600 + 600 = 7,800. Cost of the channel
1,600 + 150 + 500 + 7,800 = 10,050.00. ROPI 19,000 / 10,050 = 1.8905 → 1.89.
ROPI of one under linear: 12,000 / (1,600 + 500 + 3,600 = 5,700) = 2.105 → 2.11 (half up).

Registrations: one submitted 3 in the period (the won deal was submitted in September), won 1
(R2's deal, closed 2026-11-10) and lost 2 → win rate 1 / 3 = 33.3 %.
Capability: one's person A holds a certification from 2026-10-10 to 2027-10-10; person B one
from 2025-06-01 that expired 2026-06-01 (counts nowhere) and one from 2026-11-15 revoked
2026-11-25 → certified people at the end of November: 1; certifications earned in the period: 2
(A's and B's revoked one). Training: 5,400 s (1.5 h) in October and 1,980 s (0.55 h) in
November → 7,380 s = 2.05 h → 2.1 (half up). Logins: 4 in October, 3 in November → 7.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from analytics.models import AnalyticsSettings, DealTouch, TouchKind
from dealreg.models import DealRegistration, DealStatus
from enablement.certs.models import Certification, CertificationAward
from enablement.certs.tests.factories import TrackFactory
from onboarding.models import PortalLogin
from partners.models import LifecycleState, PartnerType, RevenueKind, RevenueRecord, Tier
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.tests.factories import MembershipFactory, UserFactory

D = Decimal
TODAY = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
START, END = date(2026, 10, 1), date(2026, 11, 1)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build(world) -> dict:
    """The data set in `world`'s tenant; returns the partners by name."""
    with tenant_context(world.tenant):
        gold = Tier.objects.create(name="Gold", rank=3, discount_margin_pct=D("10"))
        silver = Tier.objects.create(name="Silver", rank=2, discount_margin_pct=D("5"))
        since = at(date(2026, 1, 1))
        one, two = world.partner, world.other_partner
        for partner, tier, region, kind in (
            (one, gold, "EMEA", PartnerType.RESELLER),
            (two, silver, "NA", PartnerType.REFERRAL),
        ):
            partner.tier, partner.regions, partner.partner_type = tier, [region], kind
            partner.state, partner.created_at = LifecycleState.ACTIVE, since
            partner.channel_manager = world.manager
            partner.save()
        three = PartnerOrganizationFactory(
            tenant=world.tenant,
            name="Partner Three",
            regions=["APAC"],
            partner_type=PartnerType.MSP,
            state=LifecycleState.ACTIVE,
            created_at=since,
        )
        AnalyticsSettings.objects.update_or_create(
            defaults={
                "manager_monthly_cost": D("3000"),
                "program_monthly_cost": D("900"),
                "cost_rule": "managed",
            }
        )

        def revenue(partner, kind, amount, day, product="", ref="", source="manual"):
            return RevenueRecord.objects.create(
                partner=partner,
                kind=kind,
                customer="Customer",
                product=product,
                amount=D(amount),
                currency="USD",
                booked_on=day,
                source=source,
                external_ref=ref,
            )

        revenue(one, RevenueKind.SOURCED, "10000.00", date(2026, 10, 5), "Cloud")
        revenue(one, RevenueKind.SOURCED, "99999.00", date(2026, 8, 5), "Cloud")
        revenue(two, RevenueKind.INFLUENCED, "3000.00", date(2026, 11, 12), "Support")

        def deal(status, submitted, closed=None, region="EMEA"):
            return DealRegistration.objects.create(
                partner=one,
                customer_name="Initech",
                region=region,
                estimated_value=D("6000"),
                currency="USD",
                expected_close_date=date(2026, 12, 31),
                status=status,
                submitted_at=at(submitted),
                created_at=at(submitted),
                closed_at=at(closed) if closed else None,
            )

        won = deal(DealStatus.WON, date(2026, 9, 15), date(2026, 11, 10))
        deal(DealStatus.LOST, date(2026, 10, 2), date(2026, 10, 30))
        deal(DealStatus.LOST, date(2026, 10, 3), date(2026, 11, 2))
        deal(DealStatus.SUBMITTED, date(2026, 11, 20))
        revenue(
            one,
            RevenueKind.SOURCED,
            "6000.00",
            date(2026, 11, 10),
            "Cloud",
            ref=f"deal:{won.uuid}",
            source="dealreg",
        )
        DealTouch.objects.create(
            registration=won, partner=two, kind=TouchKind.REFERRAL, touched_on=date(2026, 9, 1)
        )
        DealTouch.objects.create(
            registration=won, partner=three, kind=TouchKind.CO_SELL, touched_on=date(2026, 10, 20)
        )

        # Capability: person A certified in October; B's old one expired, B's new one revoked.
        track = TrackFactory(tenant=world.tenant)
        cert = Certification.objects.create(track=track, name="Certified Professional", level=1)
        expert = Certification.objects.create(track=track, name="Certified Expert", level=2)
        person_a, person_b = UserFactory(), UserFactory()
        for person in (person_a, person_b):
            MembershipFactory(
                tenant=world.tenant, user=person, role="partner_sales", partner_organization=one
            )

        def award(person, issued, expires, revoked=None, certification=cert):
            CertificationAward.objects.create(
                certification=certification,
                user=person,
                partner=one,
                issued_at=at(issued),
                expires_at=at(expires),
                revoked_at=at(revoked) if revoked else None,
                verification_code=f"V{person.pk}{issued:%m%d}",
            )

        award(person_a, date(2026, 10, 10), date(2027, 10, 10))
        award(person_b, date(2025, 6, 1), date(2026, 6, 1))
        award(person_b, date(2026, 11, 15), date(2027, 11, 15), date(2026, 11, 25), expert)
        _training(world, person_a)
        for day in (2, 9, 16, 23):
            PortalLogin.objects.create(
                user=person_a, partner=one, logged_in_at=at(date(2026, 10, day))
            )
        for day in (3, 10, 17):
            PortalLogin.objects.create(
                user=person_b, partner=one, logged_in_at=at(date(2026, 11, day))
            )
    return {"one": one, "two": two, "three": three, "won_deal": won}


def _training(world, person) -> None:
    """Module time: 3,600 + 1,800 s in October, 1,980 s in November."""
    from enablement.lms.models import Enrollment, ModuleProgress
    from enablement.lms.tests.factories import make_course

    course = make_course(world.tenant, title="Selling the platform", modules=3, quiz=False)
    enrollment = Enrollment.objects.create(course=course, user=person)
    modules = list(course.modules.order_by("position"))
    for module, seconds, day in zip(
        modules,
        (3600, 1800, 1980),
        (date(2026, 10, 4), date(2026, 10, 18), date(2026, 11, 8)),
        strict=True,
    ):
        ModuleProgress.objects.create(
            enrollment=enrollment, module=module, seconds_spent=seconds, completed_at=at(day)
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(
        seconds_spent=7380, completed_at=at(date(2026, 11, 8))
    )


def pay_mdf(world, amount="500.00", paid_on=date(2026, 11, 20)) -> None:
    """A paid MDF claim of `amount` for partner one (through the MDF services)."""
    from mdf.services import requests as mdf
    from mdf.tests.helpers import actor, funded, proof, request_data

    _fund, allocation = funded(world, amount="10000")
    with tenant_context(world.tenant):
        fund_request = mdf.request_submit(
            actor=actor(world, world.partner_marketing),
            allocation=allocation,
            **request_data(amount=D(amount)),
        )
        fund_request = mdf.request_decide(
            actor=actor(world, world.admin), fund_request=fund_request, decision="approve"
        )
        claim = mdf.claim_submit(
            actor=actor(world, world.partner_marketing),
            fund_request=fund_request,
            spent=D(amount),
            spent_currency="USD",
            files=[("invoice", proof())],
        )
        claim = mdf.claim_decide(actor=actor(world, world.admin), claim=claim, decision="approve")
        mdf.payout_record(
            actor=actor(world, world.admin),
            claim=claim,
            method="bank_transfer",
            reference="PAY-1",
            paid_on=paid_on,
        )


TIMEDELTA_SLACK = timedelta(seconds=1)
