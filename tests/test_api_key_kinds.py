"""Every API list and detail endpoint, walked with every kind of key (issue 15): a key of each
partner role sees nothing of another partner (its uuid and its deal never appear in any answer;
that partner's deal is 404); a key of each vendor role answers 2xx or 403, never 5xx; every
answer is JSON. Too many requests answer 429 with Retry-After and a JSON body."""

from __future__ import annotations

import json

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from dealreg.tests.test_conflicts import approve, ready, register
from tenancy import services
from tenancy.context import tenant_context
from tenancy.roles import PARTNER_ROLES, VENDOR_ROLES

pytestmark = pytest.mark.django_db


def list_routes() -> list[str]:
    names = []
    for name, entries in get_resolver().reverse_dict.items():
        if isinstance(name, str) and name.endswith("-list"):
            pattern = entries[0][0][1] if entries else []
            if not pattern:  # no URL kwargs
                names.append(name)
    return sorted(set(names))


ROUTES = list_routes()
# A list answers, refuses the role (403), asks for a parameter it needs (400) or has nothing to
# show yet (404: e.g. the latest satisfaction survey before the first): never 5xx.
ANSWERS = (200, 400, 403, 404)


def key_for(world, role: str) -> str:
    partner = world.partner if role in PARTNER_ROLES else None
    with tenant_context(world.tenant):
        _key, plaintext = services.api_key_create(
            actor=world.actor(world.admin),
            name=f"walk {role}",
            role=role,
            partner_organization=partner,
        )
    return plaintext


@pytest.fixture
def two_partners(acme):
    """Partner A (the world's) and partner B, each with an approved deal."""
    ready(acme)
    mine = approve(acme, register(acme, acme.partner_sales))
    theirs = approve(
        acme,
        register(
            acme, acme.other_partner_admin, customer_name="Umbrella", customer_domain="um.com"
        ),
    )
    return mine, theirs


def client(world, key: str) -> APIClient:
    world.warm_host_cache()
    return APIClient(HTTP_HOST=world.host(), HTTP_AUTHORIZATION=f"Bearer {key}")


def test_the_walk_finds_the_list_endpoints():
    assert {"deal-registration-list", "partner-organization-list", "mdf-request-list"} <= set(
        ROUTES
    )


@pytest.mark.parametrize("role", sorted(PARTNER_ROLES))
def test_a_partner_key_never_sees_another_partner(acme, two_partners, role):
    mine, theirs = two_partners
    api = client(acme, key_for(acme, role))
    secrets = {str(acme.other_partner.uuid), str(theirs.uuid), "Umbrella"}
    for name in ROUTES:
        response = api.get(reverse(name))
        assert response.status_code in ANSWERS, f"{name}: {response.status_code}"
        assert response["Content-Type"].startswith("application/json"), name
        text = json.dumps(response.json())
        leaked = [value for value in secrets if value in text]
        assert not leaked, f"{role} key sees {leaked} at {name}"
    own = api.get(reverse("deal-registration-detail", kwargs={"id": mine.uuid})).status_code
    other = api.get(reverse("deal-registration-detail", kwargs={"id": theirs.uuid})).status_code
    # A role that reads deals reads its own and finds no other's; one that may not is refused.
    assert (own, other) in ((200, 404), (403, 403))


@pytest.mark.parametrize("role", sorted(VENDOR_ROLES))
def test_a_vendor_key_gets_an_answer_or_a_refusal_never_an_error(acme, two_partners, role):
    api = client(acme, key_for(acme, role))
    for name in ROUTES:
        response = api.get(reverse(name))
        assert response.status_code in ANSWERS, f"{role} at {name}: {response.status_code}"
        assert response["Content-Type"].startswith("application/json"), name
    if role == "program_admin":  # the other partner's deal is in the lists, for who may see it
        assert "Umbrella" in json.dumps(api.get(reverse("deal-registration-list")).json())


def test_too_many_requests_answer_429_with_retry_after(acme, monkeypatch):
    from tenancy.api.throttling import PrincipalRateThrottle

    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "3/min"})
    api = client(acme, key_for(acme, "program_admin"))
    url = reverse("deal-registration-list")
    codes = [api.get(url).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    refused = api.get(url)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "detail" in refused.json()
