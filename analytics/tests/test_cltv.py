"""Customer lifetime value and acquisition cost, through partners vs direct, against a
hand-computed data set; the direct revenue CSV; the page, its CSV and who may read it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from analytics import cltv
from analytics.metrics import Filters
from analytics.models import AnalyticsSettings, CustomerMonth, DirectRevenue
from analytics.services import refresh_run
from partners.models import ExchangeRate, LifecycleState, RevenueRecord, Tier
from partners.services.tiers import program_settings
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
TODAY = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
Q4 = Filters(start=date(2026, 10, 1), end=date(2026, 12, 1))
URL = "console_analytics_customers"


@pytest.fixture
def ledgers(acme):
    """Through partners (Gold, 10 % margin): Alpha 2025-03 1,000 and 2026-02 2,000 · Beta
    2025-06 500 (then nothing) · Gamma 2026-10 3,000 · Delta 2026-11 1,000 and 2026-12 1,000
    (written "delta inc " once). Direct: Gamma 2026-12 500 · Zeta 2025-05 and 2026-05 1,200 ·
    Eta 2026-11 900 · Theta 2026-10 1,000 EUR at 1.1. Costs: channel marketing 1,000 a month;
    direct marketing 500 + sales 1,500 a month; no management cost, no MDF; gross margin 80 %,
    lifetimes up to 5 years."""
    with time_machine.travel(TODAY, tick=False), tenant_context(acme.tenant):
        currency = program_settings().currency
        gold = Tier.objects.create(name="Gold", rank=1, discount_margin_pct=D("10"))
        partner = acme.partner
        partner.tier, partner.state, partner.regions = gold, LifecycleState.ACTIVE, ["EMEA"]
        partner.created_at = datetime(2024, 1, 1, tzinfo=UTC)
        partner.save()
        ExchangeRate.objects.create(currency="EUR", rate=D("1.1"))
        for customer, day, amount in (
            ("Alpha Corp", date(2025, 3, 10), "1000"),
            ("Alpha Corp", date(2026, 2, 10), "2000"),
            ("Beta Ltd", date(2025, 6, 10), "500"),
            ("Gamma", date(2026, 10, 10), "3000"),
            ("delta inc ", date(2026, 11, 10), "1000"),
            ("Delta Inc", date(2026, 12, 1), "1000"),
        ):
            RevenueRecord.objects.create(
                partner=partner, kind="sourced", customer=customer, amount=D(amount),
                currency=currency, booked_on=day,
            )  # fmt: skip
        for customer, day, amount, cur in (
            ("Gamma", date(2026, 12, 2), "500", currency),
            ("Zeta", date(2025, 5, 5), "1200", currency),
            ("Zeta", date(2026, 5, 5), "1200", currency),
            ("Eta", date(2026, 11, 5), "900", currency),
            ("Theta", date(2026, 10, 5), "1000", "EUR"),
        ):
            DirectRevenue.objects.create(
                customer=customer, booked_on=day, amount=D(amount), currency=cur
            )
        AnalyticsSettings.objects.update_or_create(
            defaults={
                "manager_monthly_cost": 0,
                "program_monthly_cost": 0,
                "channel_marketing_monthly_cost": D("1000"),
                "direct_marketing_monthly_cost": D("500"),
                "direct_sales_monthly_cost": D("1500"),
                "gross_margin_percent": D("80"),
                "max_lifetime_years": 5,
            }
        )
        refresh_run(full=True)
    with time_machine.travel(TODAY, tick=True):
        yield


def _values(acme, f=Q4):
    with tenant_context(acme.tenant):
        sums = cltv.sums(acme.actor(acme.executive), f)
    return {
        channel: {key: metric.of(s) for key, metric in cltv.VALUE_METRICS.items()}
        for channel, s in sums.items()
    }


def test_figures_match_the_hand_computed_reference(ledgers, acme):
    values = _values(acme)
    # Through partners: 3 customers bought in 2026 for 7,000 → 2,333.33 a year; the vendor
    # keeps 90 % (margin 700 of 7,000), 80 % gross margin; of Alpha and Beta (2025) Beta left:
    # churn 50 %, lifetime 2 years → 7,000 / 3 × 0.9 × 0.8 × 2 = 3,360.00. Won in Q4: Gamma and
    # Delta; cost 3 × 1,000 → CAC 1,500.00; 3,360 / 1,500 = 2.24.
    assert values["channel"] == {
        "cltv": D("3360.00"),
        "cac": D("1500.00"),
        "cltv_cac": D("2.24"),
        "new_customers": 2,
        "acquisition_cost": D("3000.00"),
        "revenue_per_customer": D("2333.33"),
        "customer_churn": D("50.0"),
        "lifetime_years": D("2.0"),
    }
    # Direct: Gamma, Zeta, Eta, Theta bought in 2026 for 500 + 1,200 + 900 + 1,100 (EUR at 1.1)
    # = 3,700 → 925.00 a year; Zeta stayed: no churn, lifetime the 5-year cap → 925 × 0.8 × 5
    # = 3,700.00. Won in Q4: Eta and Theta (Gamma came through a partner first); cost
    # 3 × 2,000 → CAC 3,000.00; 3,700 / 3,000 = 1.2333 → 1.23.
    assert values["direct"] == {
        "cltv": D("3700.00"),
        "cac": D("3000.00"),
        "cltv_cac": D("1.23"),
        "new_customers": 2,
        "acquisition_cost": D("6000.00"),
        "revenue_per_customer": D("925.00"),
        "customer_churn": D("0.0"),
        "lifetime_years": D("5.0"),
    }


def test_a_period_without_customers_won_has_no_cac(ledgers, acme):
    values = _values(acme, Filters(start=date(2026, 7, 1), end=date(2026, 9, 1)))
    assert values["channel"]["new_customers"] == 0 and values["channel"]["cac"] is None
    assert values["channel"]["cltv_cac"] is None
    # Q3's end: Alpha alone bought in the 12 months (2,000); Alpha and Beta before, Beta left.
    assert values["channel"]["revenue_per_customer"] == D("2000.00")


def test_rounding_is_half_up():
    base = {
        "acquisition_cost": D("1000.01"), "new_customers": 2, "revenue_12m": D("1000.01"),
        "customers_12m": 2, "base_12m": 0, "lost_12m": 0, "margin_share": D("0"),
        "gross_margin_percent": D("100"), "max_lifetime_years": 1,
    }  # fmt: skip
    metrics = cltv.VALUE_METRICS
    assert metrics["cac"].of(base) == D("500.01")  # 500.005 (banker's: 500.00)
    assert metrics["revenue_per_customer"].of(base) == D("500.01")
    assert metrics["cltv"].of(base) == D("500.01")
    churn = {**base, "base_12m": 8, "lost_12m": 1}  # 12.5 %
    assert metrics["customer_churn"].of({**base, "base_12m": 16, "lost_12m": 1}) == D("6.3")
    assert metrics["lifetime_years"].of({**churn, "max_lifetime_years": 20}) == D("8.0")


def test_refresh_is_idempotent(ledgers, acme):
    with tenant_context(acme.tenant):
        before = list(CustomerMonth.objects.order_by("month", "channel").values())
        assert cltv.refresh() == 0  # nothing changed: nothing written
        assert list(CustomerMonth.objects.order_by("month", "channel").values()) == before


# --- Direct revenue from a CSV -----------------------------------------------------------------

SETTINGS = "console_analytics_settings"


def _upload(client, text: str):
    data = SimpleUploadedFile("direct.csv", text.encode(), content_type="text/csv")
    return client.post(reverse(SETTINGS), {"action": "direct", "file": data})


def test_direct_revenue_loads_from_a_csv_and_bad_rows_load_nothing(ledgers, acme):
    client = acme.client(acme.admin)
    bad = _upload(
        client,
        "customer,amount,currency,date\nIota,12x,USD,2026-11-01\n,5,ZZZ,2026-13-01\n",
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Line 2: amount is not a number" in html and "Line 3: customer is empty" in html
    with tenant_context(acme.tenant):
        assert DirectRevenue.objects.count() == 5
    missing = _upload(client, "customer,amount\nIota,5\n")
    assert "lacks the column(s): currency, date" in missing.content.decode()
    good = "customer,amount,currency,date,reference\nIota,800,USD,2026-11-20,INV-1\n"
    assert _upload(client, good).status_code == 302
    again = _upload(client, good)  # the same reference: skipped
    assert again.status_code == 302
    with tenant_context(acme.tenant):
        assert DirectRevenue.objects.filter(customer="Iota").count() == 1
    # Iota is counted at once: won in November through direct sales.
    assert _values(acme)["direct"]["new_customers"] == 3
    refused = acme.client(acme.executive).post(reverse(SETTINGS), {"action": "direct"})
    assert refused.status_code == 403


def test_costs_and_margin_are_saved_and_bad_values_refused(ledgers, acme):
    client = acme.client(acme.admin)
    form = {
        "action": "acquisition", "channel_marketing_monthly_cost": "2000",
        "direct_marketing_monthly_cost": "500", "direct_sales_monthly_cost": "1500",
        "gross_margin_percent": "75", "max_lifetime_years": "4",
    }  # fmt: skip
    assert client.post(reverse(SETTINGS), form).status_code == 302
    assert _values(acme)["channel"]["cac"] == D("3000.00")  # (3 × 2,000) / 2
    bad = client.post(reverse(SETTINGS), {**form, "gross_margin_percent": "120"})
    assert bad.status_code == 400 and "less than or equal to 100" in bad.content.decode()
    with tenant_context(acme.tenant):
        assert AnalyticsSettings.objects.get().gross_margin_percent == D("75")


# --- The page ----------------------------------------------------------------------------------


def test_the_page_shows_both_channels_with_the_method_and_the_csv_agrees(ledgers, acme):
    client = acme.client(acme.executive)
    response = client.get(reverse(URL), {"period": "2026-Q4"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "3,360.00" in html and "3,700.00" in html and "2.24×" in html
    assert "Revenue per customer per year" in html and "gross margin %" in html
    body = b"".join(client.get(reverse(URL), {"period": "2026-Q4", "format": "csv"})
                    .streaming_content).decode()  # fmt: skip
    assert "Customer lifetime value,3360.00,3700.00" in body
    assert "Customer acquisition cost,1500.00,3000.00" in body


def test_who_may_read_customer_value(ledgers, acme, globex):
    for user in (acme.admin, acme.executive, acme.marketing):
        assert acme.client(user).get(reverse(URL)).status_code == 200
    for user in (acme.manager, acme.sales):  # program-wide figures: not a manager's
        assert acme.client(user).get(reverse(URL)).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse(URL)).status_code in (403, 404)
    # Another tenant has none of these customers.
    html = globex.client(globex.executive).get(reverse(URL), {"period": "2026-Q4"})
    assert "3,360.00" not in html.content.decode()
