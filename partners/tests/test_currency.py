"""Exchange rates into the program currency: conversion, who sets them (console and API, allowed
and refused), bad input, and the rates following a change of program currency."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partners.models import ExchangeRate
from partners.services.currency import convert, exchange_rate_set, exchange_rates
from partners.services.tiers import program_settings_update
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db
API = "/api/v1/exchange-rates/"


def set_rate(world, currency, rate, user=None):
    with tenant_context(world.tenant):
        actor = actor_for_user(user, world.tenant) if user else SYSTEM
        return exchange_rate_set(actor=actor, currency=currency, rate=rate)


def rates_of(world) -> dict[str, str]:
    with tenant_context(world.tenant):
        return {r.currency: r.rate_display for r in ExchangeRate.objects.all()}


def test_conversion_goes_through_the_program_currency_to_the_cent(acme):
    set_rate(acme, "EUR", "1.10")
    set_rate(acme, "GBP", "1.25")
    with tenant_context(acme.tenant):
        assert convert(Decimal("100"), "EUR", "USD") == Decimal("110.00")
        assert convert(Decimal("100"), "USD", "EUR") == Decimal("90.91")
        assert convert(Decimal("100"), "GBP", "EUR") == Decimal("113.64")
        assert convert(Decimal("100"), "JPY", "USD") is None  # no rate
        assert convert(None, "EUR", "USD") is None
        with CaptureQueriesContext(connection) as queries:
            assert convert(Decimal("5"), "CHF", "CHF") == Decimal("5")  # same currency
        assert len(queries) == 0
        assert exchange_rates() == {
            "USD": Decimal(1),
            "EUR": Decimal("1.1"),
            "GBP": Decimal("1.25"),
        }


@pytest.mark.parametrize(
    ("currency", "rate", "field"),
    [
        ("EURO", "1.1", "currency"),
        ("e1", "1.1", "currency"),
        ("USD", "1", "currency"),  # the program currency is always 1
        ("EUR", "0", "rate"),
        ("EUR", "-2", "rate"),
        ("EUR", "abc", "rate"),
        ("EUR", "NaN", "rate"),
        ("EUR", "1e12", "rate"),
        ("EUR", "0.00000000001", "rate"),  # 0 once stored with ten decimals
    ],
)
def test_bad_rates_are_refused_with_a_field_message(acme, currency, rate, field):
    with pytest.raises(ValidationError) as error:
        set_rate(acme, currency, rate)
    assert field in error.value.message_dict
    assert rates_of(acme) == {}


def test_setting_a_currency_again_replaces_its_rate_and_is_audited(acme):
    set_rate(acme, "eur", "1.08", user=acme.admin)
    set_rate(acme, "EUR", "1.09", user=acme.admin)
    set_rate(acme, "EUR", "1.09", user=acme.admin)  # unchanged: no new audit event
    assert rates_of(acme) == {"EUR": "1.09"}
    with tenant_context(acme.tenant):
        changes = [
            e.changes["rate"]
            for e in AuditEvent.objects.filter(action="exchange_rate.set").order_by("id")
        ]
    assert changes == [[None, "1.0800000000"], ["1.0800000000", "1.0900000000"]]


def test_only_program_managers_set_rates(acme):
    for user in (acme.manager, acme.executive, acme.partner_admin):
        with pytest.raises(PermissionDenied):
            set_rate(acme, "EUR", "1.1", user=user)
    assert rates_of(acme) == {}


def test_a_new_program_currency_re_expresses_the_rates(acme):
    set_rate(acme, "EUR", "1.10")
    set_rate(acme, "GBP", "1.25")
    with tenant_context(acme.tenant):
        program_settings_update(actor=SYSTEM, currency="EUR")
    # 1 USD = 1 / 1.10 EUR; 1 GBP = 1.25 / 1.10 EUR; EUR itself is the base now.
    assert rates_of(acme) == {"USD": "0.9090909091", "GBP": "1.1363636364"}


def test_a_rate_that_cannot_be_re_expressed_refuses_the_new_currency_and_changes_nothing(acme):
    set_rate(acme, "KWD", "60000")  # absurd, but allowed
    set_rate(acme, "VND", "0.0000001")  # 1 VND = 1.7e-12 KWD: 0 with ten decimals
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as error:
        program_settings_update(actor=SYSTEM, currency="KWD")
    assert "VND cannot be expressed in KWD" in str(error.value.message_dict["currency"])
    assert rates_of(acme) == {"KWD": "60000", "VND": "0.0000001"}


def test_a_new_program_currency_without_a_rate_is_refused_while_rates_exist(acme):
    set_rate(acme, "EUR", "1.10")
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as error:
        program_settings_update(actor=SYSTEM, currency="CHF")
    assert "Add an exchange rate for CHF first" in str(error.value.message_dict["currency"])
    assert rates_of(acme) == {"EUR": "1.1"}


# --- Console ---------------------------------------------------------------------------------


def test_console_lists_and_sets_rates(acme):
    set_rate(acme, "GBP", "1.25")
    client = acme.client(acme.admin)
    url = reverse("console_exchange_rates")
    page = client.get(url)
    assert page.status_code == 200
    assert b'data-currency="GBP"' in page.content and b"1.25" in page.content
    response = client.post(url, {"currency": "eur", "rate": "1.08"})
    assert response.status_code == 302
    assert rates_of(acme) == {"EUR": "1.08", "GBP": "1.25"}


def test_console_bad_input_shows_field_errors_and_saves_nothing(acme):
    response = acme.client(acme.admin).post(
        reverse("console_exchange_rates"), {"currency": "EURO", "rate": "-1"}
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["currency"] and form.errors["rate"]
    assert rates_of(acme) == {}


def test_console_read_only_roles_see_rates_but_cannot_change_them(acme):
    rate = set_rate(acme, "EUR", "1.10")
    url = reverse("console_exchange_rates")
    delete = reverse("console_exchange_rate_delete", kwargs={"rate_uuid": rate.uuid})
    executive = acme.client(acme.executive)
    page = executive.get(url)
    assert page.status_code == 200 and b"exchange-rate-form" not in page.content
    assert executive.post(url, {"currency": "GBP", "rate": "1.2"}).status_code == 403
    assert executive.post(delete).status_code == 403
    for user in (acme.partner_admin, acme.sales):
        assert acme.client(user).get(url).status_code == 403
    assert rates_of(acme) == {"EUR": "1.1"}


def test_console_removes_a_rate_and_another_tenant_cannot(acme, globex):
    rate = set_rate(acme, "EUR", "1.10")
    delete = reverse("console_exchange_rate_delete", kwargs={"rate_uuid": rate.uuid})
    assert globex.client(globex.admin).post(delete).status_code == 404
    assert acme.client(acme.admin).post(delete).status_code == 302
    assert rates_of(acme) == {}


# --- API -------------------------------------------------------------------------------------


def test_api_posts_rates_upserting_by_currency(acme):
    api = acme.api(acme.admin)
    response = api.post(API, {"currency": "EUR", "rate": "1.08"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["currency"] == "EUR" and Decimal(response.json()["rate"]) == Decimal(
        "1.08"
    )
    assert api.post(API, {"currency": "EUR", "rate": "1.07"}, format="json").status_code == 201
    listed = api.get(API).json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [(r["currency"], Decimal(r["rate"])) for r in rows] == [("EUR", Decimal("1.07"))]


def test_api_bad_input_is_400_json_and_roles_are_enforced(acme, globex):
    admin = acme.api(acme.admin)
    response = admin.post(API, {"currency": "EUR", "rate": "zero"}, format="json")
    assert response.status_code == 400 and "rate" in response.json()
    assert acme.api(acme.manager).post(API, {"currency": "EUR", "rate": "1"}).status_code == 403
    assert acme.api(acme.partner_admin).get(API).status_code == 403
    rate = set_rate(acme, "EUR", "1.10")
    assert globex.api(globex.admin).delete(f"{API}{rate.uuid}/").status_code == 404
    assert acme.api(acme.executive).delete(f"{API}{rate.uuid}/").status_code == 403
    assert admin.delete(f"{API}{rate.uuid}/").status_code == 204
    assert rates_of(acme) == {}
