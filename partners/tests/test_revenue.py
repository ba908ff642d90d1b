"""The revenue ledger: recording rules, audit, access, and the console ledger page."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partners.models import RevenueKind, RevenueRecord
from partners.services import tiers as tier_services
from partners.services.revenue import revenue_record_create
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .test_tiers_support import add_revenue

pytestmark = pytest.mark.django_db


def record(world, user, partner, **overrides):
    data = {
        "kind": RevenueKind.SOURCED,
        "customer": "Cedar Health Group",
        "product": "Compute",
        "amount": Decimal("1250.50"),
        "currency": "USD",
        "booked_on": timezone.localdate(),
    }
    data.update(overrides)
    with tenant_context(world.tenant):
        actor = SYSTEM if user is None else actor_for_user(user, world.tenant)
        return revenue_record_create(actor=actor, partner=partner, **data)


def test_recording_revenue_is_audited(acme):
    rec = record(acme, acme.manager, acme.partner)
    with tenant_context(acme.tenant):
        event = AuditEvent.objects.get(action="revenue.recorded")
    assert rec.amount == Decimal("1250.50") and rec.created_by == acme.manager
    assert event.target_id == str(rec.uuid) and event.changes["amount"] == "1250.50"


def test_currency_must_be_the_program_currency(acme):
    with pytest.raises(ValidationError) as error:
        record(acme, acme.admin, acme.partner, currency="EUR")
    assert "USD" in error.value.message_dict["currency"][0]
    with tenant_context(acme.tenant):
        tier_services.program_settings_update(actor=SYSTEM, currency="EUR")
    assert record(acme, acme.admin, acme.partner, currency="eur").currency == "EUR"


@pytest.mark.parametrize("amount", ["0", "-5", "NaN", "1000000000000"])
def test_amount_must_be_positive_and_fit_the_ledger(acme, amount):
    with pytest.raises(ValidationError) as error:
        record(acme, acme.admin, acme.partner, amount=amount)
    assert "amount" in error.value.message_dict


def test_future_bookings_and_duplicate_references_are_refused(acme):
    with pytest.raises(ValidationError) as future:
        record(acme, acme.admin, acme.partner, booked_on=timezone.localdate() + timedelta(days=1))
    assert "booked_on" in future.value.message_dict
    record(acme, None, acme.partner, source="dealreg", external_ref="DR-1")
    with pytest.raises(ValidationError) as duplicate:
        record(acme, None, acme.partner, source="dealreg", external_ref="DR-1")
    assert "external_ref" in duplicate.value.message_dict


@pytest.mark.parametrize("who", ["executive", "marketing", "partner_admin"])
def test_only_partner_managers_record_revenue(acme, who):
    with pytest.raises(PermissionDenied):
        record(acme, getattr(acme, who), acme.partner)


def test_channel_manager_cannot_record_for_another_managers_partner(acme):
    with pytest.raises(PermissionDenied):
        record(acme, acme.manager, acme.other_partner)


def test_program_currency_cannot_change_while_the_ledger_holds_another(acme):
    record(acme, acme.admin, acme.partner)
    with tenant_context(acme.tenant), pytest.raises(ValidationError) as error:
        tier_services.program_settings_update(actor=SYSTEM, currency="EUR")
    assert "currency" in error.value.message_dict


# --- Console ledger page ----------------------------------------------------------------------


def ledger_url(partner):
    return reverse("console_partner_revenue", kwargs={"partner_uuid": partner.uuid})


def form_data(**overrides):
    data = {
        "kind": "influenced",
        "customer": "Polaris Energy",
        "product": "Storage",
        "amount": "5000",
        "currency": "USD",
        "booked_on": timezone.localdate().isoformat(),
        "external_ref": "",
    }
    data.update(overrides)
    return data


def test_channel_manager_adds_revenue_for_their_partner(acme):
    client = acme.client(acme.manager)
    response = client.post(ledger_url(acme.partner), form_data())
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        rec = RevenueRecord.objects.get(partner=acme.partner)
    assert rec.kind == "influenced" and rec.amount == Decimal("5000")
    page = client.get(ledger_url(acme.partner))
    assert page.status_code == 200 and b"Polaris Energy" in page.content


def test_wrong_currency_shows_a_field_error_and_keeps_the_input(acme):
    response = acme.client(acme.admin).post(
        ledger_url(acme.partner), form_data(currency="GBP", customer="Redwood Insurance")
    )
    assert response.status_code == 400
    assert "currency" in response.context["form"].errors
    assert b"Redwood Insurance" in response.content
    with tenant_context(acme.tenant):
        assert not RevenueRecord.objects.exists()


def test_executive_reads_the_ledger_but_cannot_add(acme):
    add_revenue(acme, acme.partner, "100", timezone.localdate())
    client = acme.client(acme.executive)
    page = client.get(ledger_url(acme.partner))
    assert page.status_code == 200 and page.context["form"] is None
    assert client.post(ledger_url(acme.partner), form_data()).status_code == 403


def test_manager_of_another_partner_and_other_tenant_get_404(acme, globex):
    assert acme.client(acme.manager).get(ledger_url(acme.other_partner)).status_code == 404
    assert acme.client(acme.admin).get(ledger_url(globex.partner)).status_code == 404
    assert acme.client(acme.admin).post(ledger_url(globex.partner), form_data()).status_code == 404


def test_direct_sales_and_partner_users_get_403(acme):
    assert acme.client(acme.sales).get(ledger_url(acme.partner)).status_code == 403
    assert acme.client(acme.partner_admin).get(ledger_url(acme.partner)).status_code == 403


def test_ledger_page_query_count_is_flat(acme):
    client = acme.client(acme.admin)
    add_revenue(acme, acme.partner, "100", timezone.localdate())
    client.get(ledger_url(acme.partner))
    with CaptureQueriesContext(connection) as few:
        assert client.get(ledger_url(acme.partner)).status_code == 200
    for days in range(30):
        add_revenue(acme, acme.partner, "100", timezone.localdate() - timedelta(days=days))
    with CaptureQueriesContext(connection) as many:
        assert client.get(ledger_url(acme.partner)).status_code == 200
    assert len(many) == len(few)
