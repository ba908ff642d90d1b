"""Approval routing: which approver a registration goes to, and the console/API to manage rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent, Membership
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

from ..models import RoutingRule
from ..services.routing import route, routing_rule_create
from .lifecycle import make_deal

pytestmark = pytest.mark.django_db


def add_rule(world, **fields) -> RoutingRule:
    with tenant_context(world.tenant):
        actor = actor_for_user(world.admin, world.tenant)
        return routing_rule_create(actor=actor, **{"name": "Rule", **fields})


def second_manager(world):
    user = UserFactory(email=f"manager2@{world.tenant.slug}.test")
    MembershipFactory(tenant=world.tenant, user=user, role=Role.CHANNEL_MANAGER)
    return user


# --- route() -------------------------------------------------------------------------------------


def test_first_matching_rule_by_position_decides(acme):
    emea = second_manager(acme)
    add_rule(acme, name="EMEA", region="EMEA", approver=emea)
    big = add_rule(acme, name="Big NA", region="NA", min_value=Decimal("100000"), approver=None)
    us = add_rule(acme, name="US", countries=["us"], approver=acme.admin)
    with tenant_context(acme.tenant):
        assert route(make_deal(acme, region="NA", estimated_value=Decimal("150000"))) == (None, big)
        assert route(make_deal(acme, region="NA", estimated_value=Decimal("5000"))) == (
            acme.admin,
            us,
        )
        deal = make_deal(acme, region="EMEA", customer_country="DE")
        assert route(deal)[0] == emea


def test_value_bounds_are_inclusive_and_countries_must_match(acme):
    band = add_rule(acme, min_value=Decimal("1000"), max_value=Decimal("2000"), countries=["CA"])
    with tenant_context(acme.tenant):
        for value, country, matched in (
            ("1000", "CA", True),
            ("2000", "CA", True),
            ("2000.01", "CA", False),
            ("999.99", "CA", False),
            ("1500", "US", False),
        ):
            deal = make_deal(acme, estimated_value=Decimal(value), customer_country=country)
            assert (route(deal)[1] == band) is matched, (value, country)


def test_no_rule_goes_to_the_channel_manager_else_the_queue(acme):
    add_rule(acme, region="APAC", approver=acme.admin)
    add_rule(acme, region="NA", is_active=False, approver=acme.admin)  # inactive: skipped
    with tenant_context(acme.tenant):
        assert route(make_deal(acme, region="NA")) == (acme.manager, None)
        assert route(make_deal(acme, partner=acme.other_partner)) == (None, None)


def test_a_deactivated_approver_sends_the_rule_to_the_queue(acme):
    manager = second_manager(acme)
    rule = add_rule(acme, approver=manager)
    with tenant_context(acme.tenant):
        Membership.objects.filter(user=manager).update(is_active=False)
        assert route(make_deal(acme)) == (None, rule)


# --- Console ------------------------------------------------------------------------------------


def test_admin_adds_edits_reorders_and_deletes_rules(acme):
    client = acme.client(acme.admin)
    response = client.post(
        "/console/deals/routing/",
        {
            "name": "EMEA big",
            "region": "EMEA",
            "countries": "de, fr",
            "min_value": "50000",
            "approver": acme.manager.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    client.post("/console/deals/routing/", {"name": "Catch-all", "is_active": "on"})
    with tenant_context(acme.tenant):
        first, second = RoutingRule.objects.order_by("position")
        assert (first.countries, first.approver, first.position) == (["DE", "FR"], acme.manager, 0)
        assert AuditEvent.objects.filter(action="deal_routing.created").count() == 2
    page = client.get("/console/deals/routing/")
    assert page.status_code == 200 and "EMEA big" in page.content.decode()

    response = client.post(f"/console/deals/routing/{second.uuid}/move/", {"direction": "up"})
    assert response.status_code == 302
    response = client.post(
        f"/console/deals/routing/{first.uuid}/",
        {"name": "EMEA bigger", "region": "EMEA", "min_value": "90000", "is_active": "on"},
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert list(RoutingRule.objects.values_list("name", "position", "approver")) == [
            ("Catch-all", 0, None),
            ("EMEA bigger", 1, None),
        ]
    assert client.post(f"/console/deals/routing/{first.uuid}/delete/").status_code == 302
    with tenant_context(acme.tenant):
        assert RoutingRule.objects.count() == 1


def test_approver_must_be_a_channel_manager_or_admin(acme):
    response = acme.client(acme.admin).post(
        "/console/deals/routing/", {"name": "X", "approver": acme.sales.pk}
    )
    assert response.status_code == 400
    assert "approver" in response.context["form"].errors
    response = acme.client(acme.admin).post(
        "/console/deals/routing/", {"name": "X", "min_value": "10", "max_value": "5"}
    )
    assert response.status_code == 400
    assert "max_value" in response.context["form"].errors


def test_readers_see_rules_but_cannot_change_them(acme):
    rule = add_rule(acme, name="Visible")
    marketing = acme.client(acme.marketing)
    assert "Visible" in marketing.get("/console/deals/routing/").content.decode()
    assert marketing.post("/console/deals/routing/", {"name": "No"}).status_code == 403
    assert marketing.post(f"/console/deals/routing/{rule.uuid}/delete/").status_code == 403
    assert marketing.get(f"/console/deals/routing/{rule.uuid}/").status_code == 403


@pytest.mark.parametrize("user", ["sales", "partner_admin"])
def test_wrong_roles_get_403(acme, user):
    assert acme.client(getattr(acme, user)).get("/console/deals/routing/").status_code == 403


def test_other_tenant_rule_is_404(acme, globex):
    rule = add_rule(acme)
    client = globex.client(globex.admin)
    assert client.get(f"/console/deals/routing/{rule.uuid}/").status_code == 404
    assert client.post(f"/console/deals/routing/{rule.uuid}/delete/").status_code == 404
    with tenant_context(acme.tenant):
        assert RoutingRule.objects.filter(pk=rule.pk).exists()


# --- API ----------------------------------------------------------------------------------------

API = "/api/v1/deal-routing-rules/"


def test_api_crud_for_program_admin(acme):
    api = acme.api(acme.admin)
    response = api.post(
        API,
        {"name": "APAC", "region": "APAC", "countries": ["jp"], "approver": acme.manager.email},
        format="json",
    )
    assert response.status_code == 201, response.content
    rule_id = response.json()["id"]
    assert response.json()["approver"] == acme.manager.email
    assert response.json()["countries"] == ["JP"]
    response = api.patch(f"{API}{rule_id}/", {"approver": None}, format="json")
    assert response.status_code == 200 and response.json()["approver"] is None
    api.post(API, {"name": "Second"}, format="json")
    response = api.post(f"{API}{rule_id}/move/", {"direction": "down"}, format="json")
    assert response.json()["position"] == 1
    assert [r["name"] for r in api.get(API).json()["results"]] == ["Second", "APAC"]
    assert api.delete(f"{API}{rule_id}/").status_code == 204


def test_api_rejects_a_non_approver(acme):
    for email in (acme.sales.email, "nobody@example.com"):
        response = acme.api(acme.admin).post(API, {"name": "X", "approver": email}, format="json")
        assert response.status_code == 400 and "approver" in response.json()


def test_api_readers_read_and_cannot_write(acme):
    rule = add_rule(acme)
    api = acme.api(acme.executive)
    assert api.get(API).status_code == 200
    assert api.post(API, {"name": "X"}, format="json").status_code == 403
    assert api.delete(f"{API}{rule.uuid}/").status_code == 403
    assert acme.api(acme.partner_admin).get(API).status_code == 403


def test_api_other_tenant_is_404(acme, globex):
    rule = add_rule(acme)
    api = globex.api(globex.admin)
    assert api.get(f"{API}{rule.uuid}/").status_code == 404
    assert api.delete(f"{API}{rule.uuid}/").status_code == 404
    assert api.get(API).json()["results"] == []


def test_console_list_queries_do_not_grow_with_rules(acme):
    add_rule(acme, approver=acme.manager)
    client = acme.client(acme.marketing)
    client.get("/console/deals/routing/")
    with CaptureQueriesContext(connection) as one:
        client.get("/console/deals/routing/")
    for n in range(4):
        add_rule(acme, name=f"R{n}", approver=acme.admin)
    with CaptureQueriesContext(connection) as five:
        client.get("/console/deals/routing/")
    assert len(five) == len(one)


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"countries": "US, QQ"}, "countries", "Not country codes: QQ"),
        ({"region": "NA", "countries": "US, AF"}, "countries", "Not in North America"),
        ({"min_value": "100000000000000000000"}, "min_value", "below 1,000,000,000,000"),
        ({"max_value": "10.001"}, "max_value", "at most two decimals"),
    ],
)
def test_bad_rule_input_is_a_field_error_in_business_terms(acme, change, field, message):
    data = {"name": "Rule", "is_active": "on", **change}
    response = acme.client(acme.admin).post("/console/deals/routing/", data)
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert message in " ".join(errors), errors
    api_data = {**change, "name": "Rule"}
    if "countries" in api_data:
        api_data["countries"] = [c.strip() for c in api_data["countries"].split(",")]
    response = acme.api(acme.admin).post(API, api_data, format="json")
    assert response.status_code == 400
    assert message in " ".join(response.json()[field]), response.json()
    with tenant_context(acme.tenant):
        assert not RoutingRule.objects.exists()
