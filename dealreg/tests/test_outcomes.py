"""Won / lost: who may close a registration, the revenue posted once for a won deal, and the
portal and API routes with the owner / wrong-role (403) / other-tenant (404) trio."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealEvent, DealStatus, Dispute
from dealreg.services.outcomes import deal_outcome
from partners.models import RevenueRecord
from tenancy.context import tenant_context

from .pipeline_data import actor, make_account, make_deal

pytestmark = pytest.mark.django_db
API = "/api/v1/deal-pipeline/"


@pytest.fixture
def approved(acme):
    account = make_account(acme, "Initech", "initech.com")
    return make_deal(
        acme,
        account=account,
        status=DealStatus.APPROVED,
        products=["Platform", "Support"],
        estimated_value=Decimal("5000.00"),
    )


def close(world, deal, user, **kwargs):
    with tenant_context(world.tenant):
        return deal_outcome(actor=actor(world, user), registration=deal, **kwargs)


def test_won_posts_sourced_revenue_once(acme, approved):
    close(acme, approved, acme.partner_sales, outcome="won")
    with tenant_context(acme.tenant):
        (record,) = RevenueRecord.objects.all()
        approved.refresh_from_db()
    assert approved.status == DealStatus.WON and approved.closed_at is not None
    assert record.kind == "sourced" and record.partner == acme.partner
    assert record.amount == Decimal("5000.00") and record.currency == "USD"
    assert record.customer == "Initech" and record.product == "Platform"
    assert record.external_ref == f"deal:{approved.uuid}"
    assert record.booked_on == timezone.localdate()
    with pytest.raises(ValidationError):  # already won: no second move, no second posting
        close(acme, approved, acme.partner_sales, outcome="won")
    with tenant_context(acme.tenant):
        assert RevenueRecord.objects.count() == 1


def test_won_with_final_value_by_manager(acme, approved):
    close(acme, approved, acme.manager, outcome="won", value="7250.50")
    approved.refresh_from_db()
    with tenant_context(acme.tenant):
        assert RevenueRecord.objects.get().amount == Decimal("7250.50")
    assert approved.estimated_value == Decimal("7250.50")


def test_won_in_another_currency_is_not_posted(acme):
    deal = make_deal(acme, account=make_account(acme), status=DealStatus.APPROVED, currency="EUR")
    close(acme, deal, acme.partner_admin, outcome="won")
    with tenant_context(acme.tenant):
        assert not RevenueRecord.objects.exists()
        assert DealEvent.objects.filter(registration=deal, action="revenue_not_posted").exists()


def test_lost_needs_a_reason(acme, approved):
    with pytest.raises(ValidationError):
        close(acme, approved, acme.partner_sales, outcome="lost")
    close(acme, approved, acme.partner_sales, outcome="lost", reason="Went with a competitor.")
    approved.refresh_from_db()
    assert approved.status == DealStatus.LOST
    with tenant_context(acme.tenant):
        assert not RevenueRecord.objects.exists()


def test_only_approved_registrations_close(acme):
    deal = make_deal(acme, status=DealStatus.SUBMITTED)
    with pytest.raises(ValidationError):
        close(acme, deal, acme.partner_sales, outcome="won")


def test_who_may_close(acme, approved):
    for user in (acme.other_partner_admin, acme.partner_marketing, acme.marketing, acme.sales):
        with pytest.raises(PermissionDenied):
            close(acme, approved, user, outcome="won")
    theirs = make_deal(
        acme,
        partner=acme.other_partner,
        account=make_account(acme, "Hooli", "hooli.com"),
        status=DealStatus.APPROVED,
    )
    with pytest.raises(PermissionDenied):  # not this manager's partner
        close(acme, theirs, acme.manager, outcome="won")
    close(acme, theirs, acme.admin, outcome="won")


def test_portal_outcome_route(acme, approved, globex):
    url = reverse("portal_deal_outcome", kwargs={"deal_uuid": approved.uuid})
    assert acme.client(acme.partner_marketing).post(url, {"outcome": "won"}).status_code == 403
    assert acme.client(acme.other_partner_admin).post(url, {"outcome": "won"}).status_code == 404
    response = acme.client(acme.partner_sales).post(url, {"outcome": "won", "value": "6000"})
    assert response.status_code == 302
    approved.refresh_from_db()
    assert approved.status == DealStatus.WON
    foreign = make_deal(globex, account=make_account(globex), status=DealStatus.APPROVED)
    foreign_url = reverse("portal_deal_outcome", kwargs={"deal_uuid": foreign.uuid})
    assert acme.client(acme.partner_sales).post(foreign_url, {"outcome": "won"}).status_code == 404


def test_the_portal_outcome_is_chosen_never_preselected_and_confirmed(acme, approved):
    """Won or lost is the partner's pick (no default: a bare submit is a field error and changes
    nothing) and the form asks before closing the registration."""
    page = acme.client(acme.partner_sales).get(
        reverse("portal_deal_detail", kwargs={"deal_uuid": approved.uuid})
    )
    html = page.content.decode()
    outcome = html[html.index('id="deal-outcome"') :]
    assert "data-confirm=" in outcome
    assert '<option value="" selected>' in outcome and 'value="won" selected' not in outcome
    url = reverse("portal_deal_outcome", kwargs={"deal_uuid": approved.uuid})
    response = acme.client(acme.partner_sales).post(url, {"value": "6000"})
    assert response.status_code == 400
    assert "Choose whether the customer bought" in response.content.decode()
    approved.refresh_from_db()
    assert approved.status == DealStatus.APPROVED


def test_api_outcome_action(acme, approved, globex):
    url = f"{API}{approved.uuid}/outcome/"
    assert acme.api(acme.partner_marketing).post(url, {"outcome": "won"}).status_code == 403
    lost = acme.api(acme.partner_sales).post(url, {"outcome": "lost"}, format="json")
    assert lost.status_code == 400
    response = acme.api(acme.partner_sales).post(
        url, {"outcome": "lost", "reason": "No budget."}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "lost"
    foreign = make_deal(
        globex,
        account=make_account(globex),
        status=DealStatus.APPROVED,
        expires_at=timezone.now() + timedelta(days=3),
    )
    assert (
        acme.api(acme.admin).post(f"{API}{foreign.uuid}/outcome/", {"outcome": "won"}).status_code
        == 404
    )


@pytest.mark.parametrize(
    "data, message",
    [
        ({"outcome": "won", "value": "10000000000000"}, "below 1,000,000,000,000"),
        ({"outcome": "won", "value": "0"}, "more than zero"),
        ({"outcome": "lost", "reason": ""}, "Say why the deal was lost."),
    ],
)
def test_a_bad_outcome_is_a_field_error_beside_the_field_and_nothing_changes(
    acme, approved, data, message
):
    url = reverse("portal_deal_outcome", kwargs={"deal_uuid": approved.uuid})
    response = acme.client(acme.partner_sales).post(url, data)
    assert response.status_code == 400
    form = response.context["outcome_form"]
    assert message in " ".join(e for errors in form.errors.values() for e in errors)
    html = response.content.decode()
    assert "invalid-feedback" in html
    if data.get("value"):
        assert f'value="{data["value"]}"' in html  # the typed value is kept
    approved.refresh_from_db()
    assert approved.status == DealStatus.APPROVED
    api = acme.api(acme.partner_sales).post(f"{API}{approved.uuid}/outcome/", data, format="json")
    assert api.status_code == 400 and message in str(api.json())


def test_a_dispute_without_a_reason_is_a_field_error_on_the_registration_page(acme, approved):
    url = reverse("portal_dispute_raise", kwargs={"deal_uuid": approved.uuid})
    response = acme.client(acme.partner_admin).post(url, {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.context["dispute_form"].errors
    html = response.content.decode()
    assert '<details class="mt-3" id="deal-dispute" open>' in html and "invalid-feedback" in html
    with tenant_context(acme.tenant):
        assert not Dispute.objects.exists()
