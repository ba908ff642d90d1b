"""The deal-registration rules: saved by the program team (audited, validated), read-only for
other vendor readers, public at the tenant's host and beside the portal registration form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealreg.models import DealRules
from dealreg.services.rules_admin import deal_rules_save
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .test_conflicts import ready

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    data = {
        "required_fields": ["contact_email"],
        "min_value": "5000",
        "min_value_currency": "usd",
        "close_date_max_months": "24",
        "lifetime_days": "120",
        "max_extensions": "2",
        "extension_days": "30",
        "expiry_warning_days": "7",
        "auto_approve": "",
        "auto_approve_max_value": "",
        "sla_hours": "24",
        "sla_reminder_hours": "4",
        "business_timezone": "Europe/Berlin",
        "business_day_start": "9",
        "business_day_end": "17",
        "business_weekdays": ["0", "1", "2", "3", "4"],
        "holiday_country": "de",
    }
    data.update(overrides)
    return data


def test_service_saves_validates_and_audits(acme):
    with tenant_context(acme.tenant):
        admin = actor_for_user(acme.admin, acme.tenant)
        rules = deal_rules_save(actor=admin, lifetime_days=45, required_fields=["products"])
        assert DealRules.objects.get().lifetime_days == 45 and rules.required_fields == ["products"]
        assert AuditEvent.objects.filter(action="deal_rules.saved").exists()
        with pytest.raises(ValidationError) as error:
            deal_rules_save(actor=admin, required_fields=["password"], sla_reminder_hours=99)
        assert {"required_fields", "sla_reminder_hours"} <= set(error.value.message_dict)
        with pytest.raises(PermissionDenied):
            deal_rules_save(actor=actor_for_user(acme.manager, acme.tenant), lifetime_days=1)


def test_console_rules_page_trio(acme, globex):
    url = reverse("console_deal_rules")
    response = acme.client(acme.admin).post(url, form_data())
    assert response.status_code == 302, (
        getattr(response, "context", None) and response.context["form"].errors
    )
    with tenant_context(acme.tenant):
        rules = DealRules.objects.get()
    assert rules.lifetime_days == 120 and rules.min_value == Decimal("5000")
    assert rules.min_value_currency == "USD" and rules.holiday_country == "DE"
    assert rules.business_weekdays == [0, 1, 2, 3, 4]

    bad = acme.client(acme.admin).post(url, form_data(business_day_end="8"))
    assert bad.status_code == 400 and "business_day_end" in bad.context["form"].errors

    marketing = acme.client(acme.marketing)
    response = marketing.get(url)
    assert response.status_code == 200 and b"Save rules" not in response.content
    assert marketing.post(url, form_data(lifetime_days="1")).status_code == 403
    for user in (acme.sales, acme.partner_admin):
        assert acme.client(user).get(url).status_code == 403
    # Another tenant's admin sees their own (default) rules, never acme's.
    other = globex.client(globex.admin).get(url)
    assert other.status_code == 200 and other.context["rules"].lifetime_days == 90


def test_public_rules_page_and_beside_the_registration_form(acme, globex):
    with tenant_context(acme.tenant):
        deal_rules_save(
            actor=actor_for_user(acme.admin, acme.tenant),
            min_value=Decimal("7777"),
            lifetime_days=75,
            required_fields=["customer_domain", "region"],
            close_date_max_months=18,
        )
    response = acme.client().get(reverse("deal_rules_public"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "7777" in body and "75 days" in body
    # Human words, not field names.
    assert "Also required: Customer domain, Region" in body and "customer_domain" not in body
    assert "within 18 months" in body
    assert "7777" not in globex.client().get(reverse("deal_rules_public")).content.decode()

    ready(acme)
    response = acme.client(acme.partner_sales).get(reverse("portal_deal_register"))
    assert response.status_code == 200 and 'id="deal-rules"' in response.content.decode()
    assert "7777" in response.content.decode()


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"lifetime_days": "99999"}, "lifetime_days", "from 1 to 3,650 days"),
        ({"max_extensions": "-1"}, "max_extensions", "from 0 to 20 extensions"),
        ({"sla_hours": "70000"}, "sla_hours", "from 1 to 2,000 business hours"),
        ({"min_value": "1e20"}, "min_value", "below 1,000,000,000,000"),
        ({"auto_approve_max_value": "-5"}, "auto_approve_max_value", "from 0 to below"),
        ({"min_value_currency": "ZZZ"}, "min_value_currency", "ISO 4217"),
        ({"holiday_country": "QQ"}, "holiday_country", "country code such as US"),
        ({"business_timezone": "Mars/Base"}, "business_timezone", "Europe/Berlin"),
    ],
)
def test_rules_limits_are_in_business_terms_and_nothing_is_saved(acme, change, field, message):
    response = acme.client(acme.admin).post(reverse("console_deal_rules"), form_data(**change))
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert message in errors[0], errors
    assert "32767" not in errors[0] and "digits in total" not in errors[0]
    with tenant_context(acme.tenant):
        assert not DealRules.objects.exists()


def test_the_service_checks_the_same_limits(acme):
    with tenant_context(acme.tenant):
        admin = actor_for_user(acme.admin, acme.tenant)
        with pytest.raises(ValidationError) as error:
            deal_rules_save(actor=admin, lifetime_days=40000, business_timezone="Nowhere")
        assert set(error.value.message_dict) == {"lifetime_days", "business_timezone"}
        assert not DealRules.objects.exists()
