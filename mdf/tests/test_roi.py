"""MDF ROI against a hand-computed data set (half-up rounding included), and the page and CSV
showing the same figures.

The data set (program currency USD; EUR at 1.1, GBP without a rate):

| activity | partner | type    | spend   | leads            | pipeline              | won   |
|----------|---------|---------|---------|------------------|-----------------------|-------|
| A        | one     | digital | 4000.00 | 3 captured       | 5000 EUR → 5500.00    | 4490  |
| B        | one     | event   | 1000.05 | 2 (claim, no cp) | 20000.00 (claim)      | 0     |
| C        | two     | digital | 1000.00 | 1 captured       | 0                     | 0     |

A's claim also reports 50 leads: ignored, its campaign counts them. A lead of an unfunded campaign
and a GBP deal count nowhere (the GBP one is reported as left out).

- A: ROI (4490 − 4000) / 4000 = 12.25 % → 12.3 (half up); cost per lead 4000 / 3 = 1333.33.
- B: ROI −100.0; cost per lead 1000.05 / 2 = 500.025 → 500.03 (half up).
- C (approved for 1000, not claimed yet: its spend is the committed amount): ROI −100.0; cost
  per lead 1000.00.
- digital: spend 5000, leads 4, ROI −510 / 5000 = −10.2 %, cost per lead 1250.00.
- all: spend 6000.05, leads 6, pipeline 25500, won 4490; ROI −1510.05 / 6000.05 = −25.167 %
  → −25.2; cost per lead 1000.00833… → 1000.01.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealRegistration, DealStatus
from mdf import roi
from mdf.models import Lead
from mdf.services import campaigns, ledger
from mdf.services import requests as mdf
from partners.models import ExchangeRate
from tenancy.context import tenant_context

from .helpers import actor, funded, lead_data, make_campaign, make_template, proof, request_data

pytestmark = pytest.mark.django_db

D = Decimal


def _approved(world, allocation, user, **overrides):
    with tenant_context(world.tenant):
        fund_request = mdf.request_submit(
            actor=actor(world, user), allocation=allocation, **request_data(**overrides)
        )
        return mdf.request_decide(
            actor=actor(world, world.admin), fund_request=fund_request, decision="approve"
        )


def _claimed(world, fund_request, user, spent, approve=None, **results):
    with tenant_context(world.tenant):
        claim = mdf.claim_submit(
            actor=actor(world, user),
            fund_request=fund_request,
            spent=spent,
            spent_currency="USD",
            files=[("invoice", proof())],
            **results,
        )
        return mdf.claim_decide(
            actor=actor(world, world.admin), claim=claim, decision="approve", amount=approve
        )


def _deal(world, lead, status, value, currency):
    with tenant_context(world.tenant):
        deal = DealRegistration.objects.create(
            partner=lead.partner,
            customer_name=lead.company,
            estimated_value=D(value),
            currency=currency,
            expected_close_date=timezone.localdate() + timedelta(days=30),
            status=status,
        )
        lead.registration = deal
        lead.save(update_fields=["registration"])


def _capture(world, campaign, n, prefix):
    leads = []
    with tenant_context(world.tenant):
        for i in range(n):
            lead, _created = campaigns.lead_capture(
                campaign=campaign, data=lead_data(email=f"{prefix}{i}@x.test")
            )
            leads.append(lead)
    return leads


@pytest.fixture
def data_set(acme):
    with tenant_context(acme.tenant):
        ExchangeRate.objects.create(currency="EUR", rate=D("1.1"))
    fund, allocation = funded(acme, amount="20000")
    with tenant_context(acme.tenant):
        other_allocation = ledger.allocation_set(
            actor=actor(acme, acme.admin), fund=fund, partner=acme.other_partner, amount="5000"
        )
    a = _approved(acme, allocation, acme.partner_marketing, title="A", activity_type="digital")
    b = _approved(acme, allocation, acme.partner_marketing, title="B", activity_type="event")
    c = _approved(
        acme,
        other_allocation,
        acme.other_partner_admin,
        title="C",
        activity_type="digital",
        amount=D("1000"),
    )
    template = make_template(acme)
    campaign_a = make_campaign(acme, template=template, fund_request=a)
    campaign_c = make_campaign(
        acme, template=template, fund_request=c, user=acme.other_partner_admin
    )
    unfunded = make_campaign(acme, template=template, name="Unfunded")
    lead_a = _capture(acme, campaign_a, 3, "a")
    _capture(acme, campaign_c, 1, "c")
    lead_x = _capture(acme, unfunded, 1, "x")
    _deal(acme, lead_a[0], DealStatus.WON, "4490.00", "USD")
    _deal(acme, lead_a[1], DealStatus.APPROVED, "5000.00", "EUR")
    _deal(acme, lead_a[2], DealStatus.APPROVED, "999.00", "GBP")  # no rate: left out
    _deal(acme, lead_x[0], DealStatus.WON, "1000000.00", "USD")  # not an MDF activity's
    _claimed(acme, a, acme.partner_marketing, "4000", leads=50, pipeline="1")
    _claimed(acme, b, acme.partner_marketing, "1000.05", leads=2, pipeline="20000")
    return {"a": a, "b": b, "c": c}


def _report(world, user):
    with tenant_context(world.tenant):
        return roi.roi_report(roi.funded_activities(actor(world, user)))


def test_each_metric_matches_the_hand_computed_data_set(acme, data_set):
    a, b, c = data_set["a"], data_set["b"], data_set["c"]
    with tenant_context(acme.tenant):
        activities = roi.funded_activities(actor(acme, acme.admin))
        assert roi.spend_by_activity(activities) == {
            a.pk: D("4000.00"),
            b.pk: D("1000.05"),
            c.pk: D("1000.00"),
        }
        assert roi.leads_by_activity(activities) == {a.pk: 3, b.pk: 2, c.pk: 1}
        assert roi.pipeline_by_activity(activities) == {a.pk: D("5500.00"), b.pk: D("20000.00")}
        assert roi.won_by_activity(activities) == {a.pk: D("4490.00")}
        assert roi.unconverted_deals(activities) == 1
    assert Lead.objects.unscoped().count() == 5


def test_many_activities_are_read_by_sub_select_with_the_same_figures(acme, data_set, monkeypatch):
    """Beyond IDS_LISTED activities the metrics name them by a sub-select, not a list of ids."""
    listed = _report(acme, acme.admin)
    monkeypatch.setattr(roi, "IDS_LISTED", 1)
    with tenant_context(acme.tenant):
        facts = roi.funded(roi.funded_activities(actor(acme, acme.admin)))
    assert not isinstance(facts.ids, list)
    selected = _report(acme, acme.admin)
    assert [
        (r.label, r.spend, r.leads, r.pipeline, r.won, r.roi) for r in selected.by_activity
    ] == [(r.label, r.spend, r.leads, r.pipeline, r.won, r.roi) for r in listed.by_activity]
    assert selected.total == listed.total and selected.unconverted == listed.unconverted == 1


def test_roi_and_cost_per_lead_round_half_up(acme, data_set):
    report = _report(acme, acme.admin)
    rows = {row.label: row for row in report.by_activity}
    assert (rows["A"].roi, rows["A"].cost_per_lead) == (D("12.3"), D("1333.33"))
    assert (rows["B"].roi, rows["B"].cost_per_lead) == (D("-100.0"), D("500.03"))
    assert (rows["C"].roi, rows["C"].cost_per_lead) == (D("-100.0"), D("1000.00"))
    types = {row.label: row for row in report.by_type}
    digital = types["Digital campaign"]
    assert (digital.spend, digital.leads, digital.won, digital.activities) == (
        D("5000.00"),
        4,
        D("4490.00"),
        2,
    )
    assert (digital.roi, digital.cost_per_lead) == (D("-10.2"), D("1250.00"))
    assert types["Event"].pipeline == D("20000.00")
    total = report.total
    assert (total.spend, total.leads, total.pipeline, total.won) == (
        D("6000.05"),
        6,
        D("25500.00"),
        D("4490.00"),
    )
    assert (total.roi, total.cost_per_lead) == (D("-25.2"), D("1000.01"))
    partners = {row.label: row for row in report.by_partner}
    assert partners["Acme Partner One"].spend == D("5000.05")
    assert partners["Acme Partner Two"].leads == 1


@pytest.mark.parametrize("listed", [True, False], ids=["ids listed", "sub-select"])
def test_the_total_alone_is_the_reports_total(acme, data_set, monkeypatch, listed):
    """`roi_total` (a partner's MDF return on its scorecard) gives the report's total without
    reading the activities: hand-computed above, for the program and for one partner, with the
    ids listed or by sub-select."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not listed:
        monkeypatch.setattr(roi, "IDS_LISTED", 1)
    for user, expected in (
        (acme.admin, (D("6000.05"), 6, D("25500.00"), D("4490.00"), 3, D("-25.2"), D("1000.01"))),
        (
            acme.other_partner_admin,
            (D("1000.00"), 1, D("0"), D("0"), 1, D("-100.0"), D("1000.00")),
        ),
    ):
        report = _report(acme, user)
        with tenant_context(acme.tenant):
            activities = roi.funded_activities(actor(acme, user))
            with CaptureQueriesContext(connection) as ctx:
                total = roi.roi_total(activities)
        got = (total.spend, total.leads, total.pipeline, total.won, total.activities)
        assert got + (total.roi, total.cost_per_lead) == expected
        assert got == (
            report.total.spend,
            report.total.leads,
            report.total.pipeline,
            report.total.won,
            report.total.activities,
        )
        # The committed amounts, campaigns, claims, leads, the leads' deals and exchange rates
        # (and the program currency): never the activities' own rows.
        assert len(ctx.captured_queries) == 7
        assert not any('"mdf_fundrequest"."title"' in q["sql"] for q in ctx.captured_queries)


def test_a_partner_sees_only_its_own_return(acme, data_set):
    report = _report(acme, acme.other_partner_admin)
    assert [row.label for row in report.by_activity] == ["C"]
    assert report.total.leads == 1 and report.total.spend == D("1000.00")


def test_the_page_and_the_csv_show_the_same_figures(acme, data_set):
    client = acme.client(acme.executive)
    body = client.get(reverse("console_mdf_roi")).content.decode()
    assert "12.3 %" in body and "-25.2 %" in body and "1,000.01" in body and "1,333.33" in body
    assert "1 deal in a currency without an exchange rate is left out." in body
    csv = client.get(reverse("console_mdf_roi"), {"format": "csv"})
    text = b"".join(csv.streaming_content).decode()
    assert "ROI %" in text.splitlines()[0]
    assert "12.3" in text and "1333.33" in text and "500.03" in text
    # Roles without MDF access have no ROI page.
    assert acme.client(acme.sales).get(reverse("console_mdf_roi")).status_code == 403
