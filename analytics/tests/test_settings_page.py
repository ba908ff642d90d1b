"""Measurement settings and recorded touches in the console: program admins only; bad input is
shown on the form and saves nothing; removal asks for confirmation and moves the credit."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from analytics.models import DealTouch
from analytics.settings import analytics_settings
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db
URL = "console_analytics_settings"


def _weights(**changes):
    weights = {
        "registered": 40,
        "campaign_lead": 20,
        "referral": 20,
        "co_sell": 10,
        "influence": 10,
    }
    weights.update(changes)
    return {f"weight_{k}": v for k, v in weights.items()}


def test_only_program_admins_open_it(data, acme, globex):
    assert acme.client(acme.admin).get(reverse(URL)).status_code == 200
    for user in (acme.executive, acme.manager, acme.marketing, acme.sales):
        assert acme.client(user).get(reverse(URL)).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse(URL)).status_code in (403, 404)


def test_settings_are_saved_and_bad_values_refused(data, acme):
    client = acme.client(acme.admin)
    good = {
        "action": "settings",
        "cost_rule": "equal",
        "manager_monthly_cost": "4000",
        "program_monthly_cost": "500",
        **_weights(referral=30),
    }
    assert client.post(reverse(URL), good).status_code == 302
    with tenant_context(acme.tenant):
        current = analytics_settings()
        assert current.cost_rule == "equal" and current.weights()["referral"] == 30
    bad = {**good, "manager_monthly_cost": "-1", **_weights(registered=0, campaign_lead=0,
           referral=0, co_sell=0, influence=0)}  # fmt: skip
    response = client.post(reverse(URL), bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "greater than or equal to 0" in html and "at least one kind of touch" in html
    with tenant_context(acme.tenant):
        assert analytics_settings().manager_monthly_cost == 4000


def test_a_touch_is_recorded_and_removed(data, acme):
    client = acme.client(acme.admin)
    deal, three = data["won_deal"], data["three"]
    touch = {
        "action": "touch",
        "registration": deal.pk,
        "partner": three.pk,
        "kind": "influence",
        "touched_on": "2026-10-05",
        "note": "Webinar",
    }
    assert client.post(reverse(URL), touch).status_code == 302
    with tenant_context(acme.tenant):
        recorded = DealTouch.objects.get(kind="influence")
    page = client.get(reverse(URL)).content.decode()
    assert "Webinar" in page and "data-confirm" in page
    assert (
        client.post(reverse(URL), {"action": "remove", "touch": recorded.uuid}).status_code == 302
    )
    with tenant_context(acme.tenant):
        recorded.refresh_from_db()
        assert recorded.removed_at is not None
    assert client.post(reverse(URL), {"action": "remove", "touch": "nonsense"}).status_code == 404


def test_the_registering_partner_cannot_be_recorded_again(data, acme):
    response = acme.client(acme.admin).post(
        reverse(URL),
        {
            "action": "touch",
            "registration": data["won_deal"].pk,
            "partner": data["one"].pk,
            "kind": "co_sell",
            "touched_on": date(2026, 10, 5).isoformat(),
        },
    )
    assert response.status_code == 400
    assert "registered this deal" in response.content.decode()


def test_another_tenants_deal_cannot_be_chosen(data, acme, globex):
    with tenant_context(globex.tenant):
        from dealreg.models import DealRegistration

        other = DealRegistration.objects.create(
            partner=globex.partner,
            customer_name="Globex customer",
            estimated_value=1000,
            currency="USD",
            expected_close_date=date(2026, 12, 31),
            status="won",
        )
    response = acme.client(acme.admin).post(
        reverse(URL),
        {
            "action": "touch",
            "registration": other.pk,
            "partner": data["three"].pk,
            "kind": "co_sell",
            "touched_on": "2026-10-05",
        },
    )
    assert response.status_code == 400
    with tenant_context(acme.tenant):
        assert not DealTouch.objects.filter(registration_id=other.pk).exists()
