"""Deal registration over HTTP: portal list and form (locked panel / 403 while locked), console
list and the API, each with the owner / wrong-role (403) / other-tenant (404) trio and flat
query counts on the lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealRegistration
from dealreg.services.registration import deal_register
from onboarding.models import Milestone, MilestoneKey
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

from .helpers import activate, complete_101, deal_data

pytestmark = pytest.mark.django_db


def unlocked(world, partner=None, user=None):
    activate(world, partner)
    complete_101(world, user or world.partner_sales)


def make_deals(world, user, n, partner=None):
    with tenant_context(world.tenant):
        actor = actor_for_user(user, world.tenant)
        return [
            deal_register(actor=actor, **deal_data(customer_name=f"Customer {i}")) for i in range(n)
        ]


def extra_partner_with_user(world, name, manager=None):
    """Another active, unlocked partner with a sales user (for scoping and query counts)."""
    with tenant_context(world.tenant):
        partner = PartnerOrganizationFactory(
            tenant=world.tenant, name=name, channel_manager=manager
        )
        user = UserFactory()
        MembershipFactory(
            tenant=world.tenant, user=user, role=Role.PARTNER_SALES, partner_organization=partner
        )
    unlocked(world, partner, user)
    return partner, user


# --- Portal: register ----------------------------------------------------------------------------


def test_locked_registration_page_lists_what_is_missing_and_post_is_403(acme):
    activate(acme)
    client = acme.client(acme.partner_sales)
    response = client.get(reverse("portal_deal_register"))
    assert response.status_code == 200
    assert "dealreg/portal_locked.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert 'id="benefit-locked"' in body and 'data-step="training_101"' in body
    assert reverse("portal_learning") in body
    assert "deal-register-form" not in body

    response = client.post(reverse("portal_deal_register"), deal_data())
    assert response.status_code == 403
    assert 'id="benefit-locked"' in response.content.decode()
    with tenant_context(acme.tenant):
        assert not DealRegistration.objects.exists()


def test_partner_registers_a_deal_once_unlocked(acme):
    unlocked(acme)
    client = acme.client(acme.partner_sales)
    response = client.get(reverse("portal_deal_register"))
    assert response.status_code == 200 and b"deal-register-form" in response.content
    response = client.post(reverse("portal_deal_register"), deal_data(currency="eur"))
    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("portal_deal_detail", kwargs={"deal_uuid": deal.uuid})
    with tenant_context(acme.tenant):
        assert deal.currency == "EUR" and deal.partner == acme.partner
        assert Milestone.objects.filter(partner=acme.partner, key=MilestoneKey.FIRST_DEAL).exists()


def test_invalid_registration_shows_field_errors(acme):
    unlocked(acme)
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = acme.client(acme.partner_sales).post(
        reverse("portal_deal_register"),
        deal_data(customer_name="", estimated_value="0", expected_close_date=past),
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert {"customer_name", "estimated_value", "expected_close_date"} <= set(form.errors)


def test_registration_page_is_403_for_roles_without_the_permission(acme):
    unlocked(acme)
    for user in (acme.partner_marketing, acme.admin, acme.manager):
        client = acme.client(user)
        assert client.get(reverse("portal_deal_register")).status_code == 403
        assert client.post(reverse("portal_deal_register"), deal_data()).status_code == 403


# --- Portal and console lists --------------------------------------------------------------------


def test_portal_list_shows_only_own_organisation_deals(acme, globex):
    unlocked(acme)
    make_deals(acme, acme.partner_sales, 2)
    _other, other_user = extra_partner_with_user(acme, "Other Co")
    make_deals(acme, other_user, 1)
    unlocked(globex)
    make_deals(globex, globex.partner_sales, 1)
    response = acme.client(acme.partner_admin).get(reverse("portal_deals"))
    assert response.status_code == 200
    deals = list(response.context["deals"])
    assert len(deals) == 2 and {d.partner_id for d in deals} == {acme.partner.pk}
    assert response.context["can_register"] is True
    response = acme.client(acme.partner_marketing).get(reverse("portal_deals"))
    assert response.status_code == 403
    assert acme.client(acme.admin).get(reverse("portal_deals")).status_code == 403


def test_console_list_scoped_to_the_channel_managers_partners(acme, globex):
    unlocked(acme)
    make_deals(acme, acme.partner_sales, 1)  # acme.partner is the manager's
    _other, other_user = extra_partner_with_user(acme, "Unmanaged Co")
    make_deals(acme, other_user, 1)
    unlocked(globex)
    make_deals(globex, globex.partner_sales, 1)

    response = acme.client(acme.manager).get(reverse("console_deals"))
    assert response.status_code == 200
    assert [d.partner_id for d in response.context["deals"]] == [acme.partner.pk]

    response = acme.client(acme.admin).get(reverse("console_deals"))
    assert response.status_code == 200
    assert len(response.context["deals"]) == 2  # never globex's
    assert acme.client(acme.sales).get(reverse("console_deals")).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse("console_deals")).status_code == 403


def test_deal_lists_query_count_does_not_grow_with_deals(acme):
    unlocked(acme)
    make_deals(acme, acme.partner_sales, 1)
    urls = [
        (acme.client(acme.partner_sales), reverse("portal_deals")),
        (acme.client(acme.admin), reverse("console_deals")),
    ]
    few = []
    for client, url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        few.append(len(ctx))
    make_deals(acme, acme.partner_sales, 5)
    for i in range(3):
        _partner, user = extra_partner_with_user(acme, f"More {i}")
        make_deals(acme, user, 2)
    for (client, url), before in zip(urls, few, strict=True):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert len(ctx) == before, url


# --- API -----------------------------------------------------------------------------------------


API = "/api/v1/deal-registrations/"


def test_api_create_is_403_benefit_locked_then_201(acme):
    activate(acme)
    api = acme.api(acme.partner_sales)
    response = api.post(API, deal_data(), format="json")
    assert response.status_code == 403
    body = response.json()
    assert body["code"] == "benefit_locked" and body["benefit"] == "deal_registration"
    assert [m["step"] for m in body["missing"]] == ["training_101"]
    assert body["missing"][0]["url"] == reverse("portal_learning") and body["detail"]

    # Bad input too: the locked partner learns what to do before fixing fields.
    response = api.post(API, deal_data(customer_name=" "), format="json")
    assert response.status_code == 403 and response.json()["code"] == "benefit_locked"

    complete_101(acme, acme.partner_sales)
    response = api.post(API, deal_data(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["customer_domain"] == "initech.com" and data["status"] == "submitted"
    assert data["partner"] == str(acme.partner.uuid)


def test_api_create_bad_input_is_400_with_field_errors(acme):
    unlocked(acme)
    response = acme.api(acme.partner_sales).post(
        API, deal_data(currency="ZZZ", customer_name=" ", estimated_value="0"), format="json"
    )
    assert response.status_code == 400
    assert {"currency", "customer_name", "estimated_value"} <= set(response.json())


def test_api_create_refused_to_vendor_and_marketing_roles(acme):
    unlocked(acme)
    for user in (acme.admin, acme.manager, acme.partner_marketing):
        assert acme.api(user).post(API, deal_data(), format="json").status_code == 403


def test_api_list_and_retrieve_scoped(acme, globex):
    unlocked(acme)
    (mine,) = make_deals(acme, acme.partner_sales, 1)
    _other, other_user = extra_partner_with_user(acme, "Other Co")
    (theirs,) = make_deals(acme, other_user, 1)
    unlocked(globex)
    (foreign,) = make_deals(globex, globex.partner_sales, 1)

    api = acme.api(acme.partner_admin)
    response = api.get(API)
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(mine.uuid)]
    assert api.get(f"{API}{mine.uuid}/").status_code == 200
    assert api.get(f"{API}{theirs.uuid}/").status_code == 404  # other partner, same tenant
    assert api.get(f"{API}{foreign.uuid}/").status_code == 404  # other tenant

    manager = acme.api(acme.manager)
    assert [r["id"] for r in manager.get(API).json()["results"]] == [str(mine.uuid)]
    assert manager.get(f"{API}{theirs.uuid}/").status_code == 404
    admin = acme.api(acme.admin)
    assert len(admin.get(API).json()["results"]) == 2
    assert admin.get(f"{API}{foreign.uuid}/").status_code == 404

    assert acme.api(acme.partner_marketing).get(API).status_code == 403
    assert acme.api(acme.sales).get(API).status_code == 403


def test_partner_api_key_registers_for_its_organisation(acme):
    from rest_framework.test import APIClient

    from tenancy import services as tenancy_services

    unlocked(acme)
    with tenant_context(acme.tenant):
        _key, plaintext = tenancy_services.api_key_create(
            actor=actor_for_user(acme.partner_admin, acme.tenant), name="CRM", role="partner_sales"
        )
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.post(API, deal_data(), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["partner"] == str(acme.partner.uuid)
    assert response.json()["submitted_by"] is None
    assert [r["id"] for r in client.get(API).json()["results"]] == [response.json()["id"]]


# --- API list: keyset pages (a million rows: no count, no offset) --------------------------------


def _pages(client, url):
    """Every page from `url` following `next`; the bodies, in order."""
    bodies = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        bodies.append(response.json())
        url = bodies[-1]["next"]
    return bodies


def test_api_list_pages_return_every_row_once_with_ties_in_created_at(acme):
    unlocked(acme)
    deals = make_deals(acme, acme.partner_sales, 5)
    same_moment = timezone.now() - timedelta(days=1)
    with tenant_context(acme.tenant):  # four rows share one created_at: the uuid decides
        DealRegistration.objects.filter(pk__in=[d.pk for d in deals[:4]]).update(
            created_at=same_moment
        )
    api = acme.api(acme.admin)
    bodies = _pages(api, f"{API}?page_size=2")
    assert [len(b["results"]) for b in bodies] == [2, 2, 1]
    assert "count" not in bodies[0] and bodies[0]["previous"] is None
    seen = [row["id"] for body in bodies for row in body["results"]]
    expected = [str(deals[4].uuid)] + sorted((str(d.uuid) for d in deals[:4]), reverse=True)
    assert seen == expected  # newest first, ties by uuid, each row exactly once

    # Back from the last page: the rows of the page before, in the same order.
    back = api.get(bodies[2]["previous"]).json()
    assert [r["id"] for r in back["results"]] == seen[2:4]
    assert back["next"] and api.get(back["next"]).json()["results"] == bodies[2]["results"]


def test_api_list_filters_by_status_across_pages(acme):
    unlocked(acme)
    deals = make_deals(acme, acme.partner_sales, 4)
    with tenant_context(acme.tenant):
        DealRegistration.objects.filter(pk__in=[deals[0].pk, deals[2].pk]).update(status="rejected")
    bodies = _pages(acme.api(acme.admin), f"{API}?status=rejected&page_size=1")
    assert "status=rejected" in bodies[0]["next"]
    assert sorted(r["id"] for b in bodies for r in b["results"]) == sorted(
        [str(deals[0].uuid), str(deals[2].uuid)]
    )


def test_api_list_bad_cursor_is_400(acme):
    unlocked(acme)
    response = acme.api(acme.admin).get(f"{API}?cursor=not-a-cursor")
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_api_list_query_count_flat_and_never_counts_registrations(acme):
    unlocked(acme)
    make_deals(acme, acme.partner_sales, 2)
    for user in (acme.admin, acme.manager, acme.partner_admin):
        api = acme.api(user)
        api.get(API)  # warm per-process caches (rules, content types)
        with CaptureQueriesContext(connection) as few:
            assert api.get(API).status_code == 200
        make_deals(acme, acme.partner_sales, 3)
        with CaptureQueriesContext(connection) as more:
            page = api.get(f"{API}?page_size=2").json()
            assert api.get(page["next"]).status_code == 200
        assert len(more) == 2 * len(few), [q["sql"] for q in more.captured_queries]
        sqls = [q["sql"].upper() for q in (*few.captured_queries, *more.captured_queries)]
        assert not [s for s in sqls if "COUNT(" in s and "DEALREG_DEALREGISTRATION" in s]
        assert not [s for s in sqls if "OFFSET" in s and "DEALREG_DEALREGISTRATION" in s]
