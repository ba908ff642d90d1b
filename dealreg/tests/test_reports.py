"""Console reports against a hand-computed data set: overall and by partner, region and product;
a fixed number of queries; CSV; the API; owner / wrong-role (403) / other-tenant data excluded."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealStatus as S
from dealreg.selectors.reports import Period, deal_report
from partners.services.currency import exchange_rate_set
from tenancy.access import SYSTEM
from tenancy.context import tenant_context

from .pipeline_data import actor, make_deal

pytestmark = pytest.mark.django_db
API = "/api/v1/deal-reports/"


def deal(world, partner, status, *, region, products, decided_h=None, sla_h=48, **extra):
    base = extra.pop("submitted_at", timezone.now() - timedelta(days=10))
    fields = {
        "submitted_at": base,
        "decided_at": base + timedelta(hours=decided_h) if decided_h is not None else None,
        "approved_at": None,
        "sla_due_at": base + timedelta(hours=sla_h) if sla_h is not None else None,
        "region": region,
        "products": products,
        **extra,
    }
    return make_deal(world, partner=partner, status=status, **fields)


@pytest.fixture
def data(acme, globex):
    p1, p2 = acme.partner, acme.other_partner
    now = timezone.now()
    deal(acme, p1, S.WON, region="NA", products=["A", "B"], decided_h=10, estimated_value=1000)
    deal(acme, p1, S.LOST, region="NA", products=["A"], decided_h=20, sla_h=8)  # late
    deal(acme, p1, S.REJECTED, region="EMEA", products=["B"], decided_h=30)
    deal(acme, p2, S.APPROVED, region="EMEA", products=["A"], decided_h=40)
    deal(
        acme,
        p2,
        S.SUBMITTED,
        region="APAC",
        products=[],
        submitted_at=now - timedelta(days=3),
        sla_due_at=now - timedelta(hours=1),  # pending past due
    )
    deal(
        acme,
        p2,
        S.WON,
        region="NA",
        products=["C"],
        decided_h=2,
        estimated_value=Decimal("200"),
        currency="EUR",
    )
    deal(acme, p1, S.EXPIRED, region="NA", products=["A"], decided_h=4, sla_h=None)
    # Outside the period, and another tenant: never counted.
    deal(
        acme,
        p1,
        S.WON,
        region="NA",
        products=["A"],
        decided_h=1,
        estimated_value=9999,
        submitted_at=now - timedelta(days=200),
    )
    deal(globex, globex.partner, S.WON, region="NA", products=["A"], decided_h=1)


def row(rows, key):
    return next(r for r in rows if r["key"] == key)


def test_report_matches_the_hand_computed_numbers(acme, data):
    with tenant_context(acme.tenant):
        report = deal_report(actor(acme, acme.admin), Period.parse(None, None))
    assert report["overall"] == {
        "volume": 7,
        "decided": 6,
        "approved": 5,
        "approval_rate": 0.8333,
        "median_hours_to_decision": 15.0,
        "sla_breaches": 2,
        "won": 2,
        "lost": 1,
        "win_rate": 0.6667,
        "won_value": {"EUR": "200.00", "USD": "1000.00"},
        # No EUR rate yet: the total holds the dollars only and names what it left out.
        "won_value_total": "1000.00",
        "won_value_total_currency": "USD",
        "won_value_unconverted": ["EUR"],
    }
    p1 = row(report["by_partner"], acme.partner.name)
    assert (p1["volume"], p1["approval_rate"], p1["median_hours_to_decision"]) == (4, 0.75, 15.0)
    assert (p1["sla_breaches"], p1["win_rate"], p1["won_value"]) == (1, 0.5, {"USD": "1000.00"})
    p2 = row(report["by_partner"], acme.other_partner.name)
    assert (p2["volume"], p2["decided"], p2["approval_rate"]) == (3, 2, 1.0)
    assert (p2["median_hours_to_decision"], p2["sla_breaches"], p2["win_rate"]) == (21.0, 1, 1.0)
    # Regions and "none" in words, as the page, the CSV and the API show them.
    assert [(r["key"], r["volume"]) for r in report["by_region"]] == [
        ("North America", 4),
        ("Europe, Middle East & Africa", 2),
        ("Asia-Pacific", 1),
    ]
    na = row(report["by_region"], "North America")
    assert (na["approval_rate"], na["median_hours_to_decision"], na["win_rate"]) == (
        1.0,
        7.0,
        0.6667,
    )
    assert [(r["key"], r["volume"]) for r in report["by_product"]] == [
        ("A", 4),
        ("B", 2),
        ("C", 1),
        ("No product", 1),
    ]
    a = row(report["by_product"], "A")
    assert (a["approval_rate"], a["median_hours_to_decision"], a["win_rate"]) == (1.0, 15.0, 0.5)
    b = row(report["by_product"], "B")
    assert (b["approval_rate"], b["median_hours_to_decision"], b["won_value"]) == (
        0.5,
        20.0,
        {"USD": "1000.00"},
    )


def test_won_value_total_converts_at_the_program_rates(acme, data):
    with tenant_context(acme.tenant):
        exchange_rate_set(actor=SYSTEM, currency="EUR", rate="1.10")
        report = deal_report(actor(acme, acme.admin), Period.parse(None, None))
    overall = report["overall"]
    assert (overall["won_value_total"], overall["won_value_unconverted"]) == ("1220.00", [])
    p2 = row(report["by_partner"], acme.other_partner.name)
    assert p2["won_value"] == {"EUR": "200.00"} and p2["won_value_total"] == "220.00"


def test_period_bounds_include_the_old_deal_when_asked(acme, data):
    start = (timezone.localdate() - timedelta(days=365)).isoformat()
    with tenant_context(acme.tenant):
        report = deal_report(actor(acme, acme.admin), Period.parse(start, None))
    assert report["overall"]["volume"] == 8
    assert report["overall"]["won_value"]["USD"] == "10999.00"


def test_fixed_number_of_queries(acme, data):
    def count():
        with tenant_context(acme.tenant):
            admin = actor(acme, acme.admin)
            with CaptureQueriesContext(connection) as queries:
                deal_report(admin, Period.parse(None, None))
        return len(queries)

    count()  # the first report creates the program settings row
    few = count()
    for _ in range(10):
        deal(acme, acme.partner, S.WON, region="APAC", products=["X", "Y"], decided_h=3)
    more = count()
    if connection.vendor == "postgresql":
        # One query per breakdown (overall, partner, region, product), aggregated in the
        # database; then program settings and exchange rates.
        assert more == few == 6
    else:
        # The embedded default asks each product's figures apart: "X" and "Y" add one each.
        assert more == few + 2


def test_manager_sees_only_their_partners(acme, data):
    response = acme.client(acme.manager).get(reverse("console_deal_reports"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report["overall"]["volume"] == 4
    assert [r["key"] for r in report["by_partner"]] == [acme.partner.name]


def test_page_csv_and_roles(acme, data):
    admin = acme.client(acme.admin)
    page = admin.get(reverse("console_deal_reports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="won-value-total">1,000.00 USD' in html  # grouped, with the currency
    assert "200.00 EUR · 1,000.00 USD" in html
    assert "Not in the total (no exchange rate): EUR" in html
    response = admin.get(reverse("console_deal_reports"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    overall = rows[0]
    assert (overall["breakdown"], overall["volume"], overall["approval_rate"]) == (
        "overall",
        "7",
        "0.8333",
    )
    assert overall["won_value"] == "200.00 EUR; 1000.00 USD"
    assert (overall["won_value_total"], overall["won_value_unconverted"]) == ("1000.00", "EUR")
    assert {r["key"] for r in rows if r["breakdown"] == "product"} == {"A", "B", "C", "No product"}
    for user in (acme.sales, acme.partner_admin, acme.partner_sales):
        assert acme.client(user).get(reverse("console_deal_reports")).status_code == 403


def test_api_gives_the_same_numbers(acme, data, globex):
    response = acme.api(acme.executive).get(API)
    assert response.status_code == 200
    assert response.json()["overall"]["volume"] == 7
    assert response.json()["overall"]["median_hours_to_decision"] == 15.0
    assert acme.api(acme.partner_admin).get(API).status_code == 403
    assert acme.api(acme.sales).get(API).status_code == 403
    # globex's admin sees only globex's one registration
    assert globex.api(globex.admin).get(API).json()["overall"]["volume"] == 1


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"from": "9999-01-01", "to": "9999-12-31"}, "to", "Enter a date between"),
        ({"from": "1900-01-01"}, "from", "Enter a date between"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "from", "on or before the end date"),
        ({"from": "2020-01-01", "to": "2024-01-01"}, "from", "at most two years"),
        ({"from": "not-a-date"}, "from", "Enter a valid date"),
    ],
)
@pytest.mark.parametrize("fmt", [None, "csv"])
def test_a_bad_period_is_a_field_error_on_the_page_and_the_csv_link(
    acme, data, query, field, message, fmt
):
    params = {**query, **({"format": fmt} if fmt else {})}
    response = acme.client(acme.admin).get(reverse("console_deal_reports"), params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert response.context["report"] is None  # never "everything" instead
    html = response.content.decode()
    assert "is-invalid" in html and "invalid-feedback" in html
    for value in query.values():
        assert f'value="{value}"' in html  # the typed dates are kept
    assert 'id="report-overall"' not in html


def test_a_bad_period_is_a_400_with_field_errors_in_the_api(acme, data):
    response = acme.api(acme.admin).get(API, {"from": "9999-01-01", "to": "9999-12-31"})
    assert response.status_code == 400
    assert "Enter a date between" in response.json()["to"][0]
    response = acme.api(acme.admin).get(API, {"from": "2026-03-01", "to": "2026-02-01"})
    assert response.status_code == 400 and "from" in response.json()


def test_the_period_window_edges(acme, data):
    today = timezone.localdate()
    with tenant_context(acme.tenant):
        assert Period.parse(None, None, today) == Period(today - timedelta(90), today)
        latest = today + timedelta(366)
        assert Period.parse(None, latest.isoformat(), today).start == latest - timedelta(90)
        with pytest.raises(ValidationError):
            Period.parse(None, (latest + timedelta(1)).isoformat(), today)
        # Two years exactly is allowed; a day more is not.
        end = today
        assert Period.of(end - timedelta(731), end, today).start == end - timedelta(731)
        with pytest.raises(ValidationError):
            Period.of(end - timedelta(732), end, today)
    ok = acme.client(acme.admin).get(
        reverse("console_deal_reports"), {"from": (today - timedelta(400)).isoformat()}
    )
    assert ok.status_code == 200 and ok.context["report"]["overall"]["volume"] == 8


def test_page_shows_the_busiest_rows_and_the_csv_all_of_them(acme):
    """A program of thousands of partners: the page lists the 25 with the most registrations
    and says so; the CSV has every partner."""
    from partners.tests.factories import PartnerOrganizationFactory

    busiest = acme.partner
    for _ in range(3):
        deal(acme, busiest, S.SUBMITTED, region="NA", products=["A"])
    for i in range(29):
        partner = PartnerOrganizationFactory(tenant=acme.tenant, name=f"Reseller {i:02d}")
        deal(acme, partner, S.SUBMITTED, region="NA", products=["A"])
    admin = acme.client(acme.admin)
    html = admin.get(reverse("console_deal_reports")).content.decode()
    table = html.split('id="report-partner"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + 25  # the header and 25 partners
    assert busiest.name in table and "Reseller 00" in table and "Reseller 28" not in table
    assert "Showing the 25 with the most registrations of 30; the CSV lists them all." in html
    assert 'id="report-region-more"' not in html
    csv_text = admin.get(reverse("console_deal_reports"), {"format": "csv"}).content.decode()
    partners = [r for r in csv.DictReader(io.StringIO(csv_text)) if r["breakdown"] == "partner"]
    assert len(partners) == 30 and partners[0]["key"] == busiest.name
