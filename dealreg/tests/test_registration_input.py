"""Bad registration input through the portal form and the API: ISO 4217 currencies (normalised),
the close-date window of the rules, the region that follows from the country (the rules' map),
amount limits in business terms. Each is a field error (form: beside the field, typed input kept;
API: 400 JSON) and saves nothing; the good cases are normalised."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealRegistration, DealRules
from tenancy.common.currencies import CURRENCIES
from tenancy.context import tenant_context

from .helpers import deal_data
from .test_http import unlocked

pytestmark = pytest.mark.django_db
API = "/api/v1/deal-registrations/"
FAR = "9999-12-31"


BAD = [
    ({"currency": "ZZZ"}, "currency", "ISO 4217"),
    ({"currency": "US"}, "currency", "ISO 4217"),
    ({"expected_close_date": FAR}, "expected_close_date", "within 24 months"),
    ({"customer_country": "AF", "region": "NA"}, "region", "Afghanistan is in Asia-Pacific"),
    ({"customer_country": "QQ"}, "customer_country", "Choose a country"),
    ({"estimated_value": "9223372036854775807"}, "estimated_value", "below 1,000,000,000,000"),
    ({"estimated_value": "10.001"}, "estimated_value", "at most two decimals"),
]


def saved(world) -> int:
    with tenant_context(world.tenant):
        return DealRegistration.objects.count()


@pytest.mark.parametrize("change, field, message", BAD)
def test_the_form_shows_the_error_beside_the_field_and_keeps_the_input(
    acme, change, field, message
):
    unlocked(acme)
    response = acme.client(acme.partner_sales).post(
        reverse("portal_deal_register"), deal_data(**change)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert message in " ".join(errors[field]), errors
    html = response.content.decode()
    assert "9223372036854775807" not in " ".join(errors[field])
    assert 'value="Initech"' in html  # the typed input is kept
    assert 'list="currency-codes"' in html and '<option value="EUR">EUR — Euro</option>' in html
    assert saved(acme) == 0


@pytest.mark.parametrize("change, field, message", BAD)
def test_the_api_answers_400_with_the_field_error(acme, change, field, message):
    unlocked(acme)
    response = acme.api(acme.partner_sales).post(API, deal_data(**change), format="json")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")
    assert message in " ".join(response.json()[field]), response.json()
    assert saved(acme) == 0


def test_lowercase_currency_is_normalised_and_the_region_derived_from_the_country(acme):
    unlocked(acme)
    response = acme.api(acme.partner_sales).post(
        API, deal_data(currency=" usd ", customer_country="af", region=""), format="json"
    )
    assert response.status_code == 201, response.content
    assert (response.json()["currency"], response.json()["region"]) == ("USD", "APAC")
    response = acme.client(acme.partner_sales).post(
        reverse("portal_deal_register"),
        deal_data(customer_name="Globex", currency="eur", customer_country="DE", region=""),
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get(customer_name="Globex")
    assert (deal.currency, deal.region, deal.customer_country.code) == ("EUR", "EMEA", "DE")


def test_the_rules_own_the_window_and_the_country_map(acme):
    unlocked(acme)
    today = timezone.localdate()
    with tenant_context(acme.tenant):
        DealRules.objects.create(
            tenant=acme.tenant, close_date_max_months=3, country_regions={"AF": "EMEA"}
        )
    api = acme.api(acme.partner_sales)
    in_four_months = DealRules(close_date_max_months=4).latest_close_date(today).isoformat()
    response = api.post(API, deal_data(expected_close_date=in_four_months), format="json")
    assert response.status_code == 400
    assert "within 3 months" in response.json()["expected_close_date"][0]
    edge = DealRules(close_date_max_months=3).latest_close_date(today).isoformat()
    response = api.post(
        API,
        deal_data(expected_close_date=edge, customer_country="AF", region="EMEA"),
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["region"] == "EMEA"  # the tenant's exception, not the default map


def test_latest_close_date_keeps_the_day_or_the_month_end():
    rules = DealRules(close_date_max_months=24)
    assert rules.latest_close_date(date(2026, 12, 5)) == date(2028, 12, 5)
    assert rules.latest_close_date(date(2026, 1, 31)) == date(2028, 1, 31)
    assert DealRules(close_date_max_months=1).latest_close_date(date(2026, 1, 31)) == date(
        2026, 2, 28
    )
    assert DealRules(close_date_max_months=13).latest_close_date(date(2026, 12, 1)) == date(
        2028, 1, 1
    )


def test_the_currency_list_is_iso_4217_without_funds_or_test_codes():
    assert {"USD", "EUR", "GBP", "JPY", "CHF", "XOF"} <= set(CURRENCIES)
    assert not {"ZZZ", "XXX", "XTS", "XAU"} & set(CURRENCIES)


def test_the_rules_form_takes_the_window_and_exceptions(acme):
    client = acme.client(acme.admin)
    page = client.get(reverse("console_deal_rules"))
    data = {k: v for k, v in page.context["form"].initial.items() if v is not None}
    data.update(close_date_max_months="500", country_regions="PK: EMEA, QQ: NA")
    data.pop("required_fields", None)
    data.pop("auto_approve_tiers", None)
    data.pop("business_weekdays", None)
    response = client.post(reverse("console_deal_rules"), data)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "from 1 to 120 months" in errors["close_date_max_months"][0]
    assert "QQ: NA" in errors["country_regions"][0]
    data.update(
        close_date_max_months="12", country_regions="pk: EMEA, MX:NA", min_value_currency="usd"
    )
    response = client.post(reverse("console_deal_rules"), data)
    assert response.status_code == 302, response.context["form"].errors
    with tenant_context(acme.tenant):
        rules = DealRules.objects.get()
    assert rules.close_date_max_months == 12 and rules.min_value_currency == "USD"
    assert rules.country_regions == {"MX": "NA", "PK": "EMEA"}
    assert rules.region_of("PK") == "EMEA" and rules.region_of("IN") == "APAC"
