"""Every API list and detail endpoint, walked with every kind of key (issue 15): a key of each
partner role sees nothing of another partner (its uuid and its deal never appear in any answer;
that partner's deal is 404); a key of each vendor role answers 2xx or 403, never 5xx; every
answer is JSON. Too many requests answer 429 with Retry-After and a JSON body.

A partner's key is refused (404, JSON) at every detail and action URL of the API for another
partner's objects, with every method the route answers. The routes come from the URLconf and the
kinds that belong to a partner from their models, so a new action is walked at once and a new
partner-owned kind fails the walk until it has an object below (`other_partners_objects`)."""

from __future__ import annotations

import json
import uuid

import pytest
from django.urls import get_resolver, reverse
from rest_framework.test import APIClient

from conftest import PARTNER_ROLE_NAMES, World
from dealreg.tests.test_conflicts import approve, ready, register
from partners.models import PartnerOrganization
from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import Membership, Notification
from tenancy.roles import PARTNER_ROLES, VENDOR_ROLES, Role
from tenancy.tests.factories import MembershipFactory, UserFactory
from tests.test_isolation_walk import (
    enablement_objects,
    id_kwargs,
    mdf_objects,
    methods,
    onboarding_objects,
    partner_program_objects,
    walk,
)

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


# --- Another partner's objects, at their detail and action URLs ------------------------------

# How a row says whose it is: its partner organisation's, or one of that organisation's people's.
OWNER_FIELDS = ("partner", "partner_organization", "partner_uuid", "user", "recipient")


def belongs_to_a_partner(model, hops: int = 1) -> bool:
    """A partner's own row: the organisation itself, a row with an owner field, or a row of one
    (a dispute or an extension of a registration)."""
    if model is PartnerOrganization:
        return True
    # Not reverse relations. Tenancy's models hold the organisation as `partner_organization_id`
    # (no foreign key to an app above them).
    fields = [f for f in model._meta.get_fields() if f.concrete or not f.auto_created]
    if {f.name.removesuffix("_id") for f in fields} & set(OWNER_FIELDS):
        return True
    return hops > 0 and any(
        f.many_to_one and belongs_to_a_partner(f.related_model, hops - 1) for f in fields
    )


def model_of(viewset):
    serializer = getattr(viewset, "serializer_class", None)
    return getattr(getattr(serializer, "Meta", None), "model", None)


def partner_object_routes() -> list[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(URL name, basename, URL kwargs, methods) of each API route that takes the id of a
    partner's object. A route without a model (a partner's figures, keyed by its uuid) counts
    too: the objects below must say what fills it."""
    found = {}
    for route, name, pattern in walk():
        kwargs = id_kwargs(pattern)
        if not route.startswith("api/") or "id" not in kwargs or "format" in route:
            continue
        model = model_of(pattern.callback.cls)
        if model is None or belongs_to_a_partner(model):
            basename = pattern.callback.initkwargs["basename"]
            found[name] = (name, basename, tuple(kwargs), tuple(methods(pattern)))
    return sorted(found.values())


PARTNER_OBJECT_ROUTES = partner_object_routes()


def test_the_walk_finds_the_partner_object_routes():
    names = {name for name, *_ in PARTNER_OBJECT_ROUTES}
    assert {
        "deal-registration-detail",
        "deal-registration-approve",
        "mdf-request-detail",
        "mdf-request-withdraw",
        "mdf-claim-detail",
        "webhook-endpoint-detail",
        "webhook-endpoint-delivery",
        "webhook-endpoint-delivery_send_again",
        "certification-award-detail",
        "campaign-detail",
        "lead-detail",
    } <= names
    # Program-wide kinds (tiers, funds, courses) are not a partner's.
    assert not names & {"tier-detail", "mdf-fund-detail", "course-detail"}


@pytest.fixture
def partner_b(acme) -> World:
    """The world seen from its second partner organisation (B): B's people in every partner role,
    the same vendor staff (B's channel manager too, who decides B's MDF requests)."""
    users = {k: v for k, v in acme.users.items() if k not in PARTNER_ROLE_NAMES.values()}
    users["partner_admin"] = acme.other_partner_admin
    for role, name in PARTNER_ROLE_NAMES.items():
        if role != Role.PARTNER_ADMIN:
            users[name] = UserFactory(email=f"{name}@acme-other.test")
            MembershipFactory(
                tenant=acme.tenant, user=users[name], role=role,
                partner_organization=acme.other_partner,
            )  # fmt: skip
    with tenant_context(acme.tenant):
        acme.other_partner.channel_manager = acme.manager
        acme.other_partner.save(update_fields=["channel_manager"])
    return World(
        tenant=acme.tenant, users=users, partner=acme.other_partner, other_partner=acme.partner
    )


@pytest.fixture
def other_partners_objects(partner_b) -> dict:
    """One object of each partner-owned kind, all partner B's, by API basename (and, for the
    webhook deliveries, URL kwarg)."""
    from integrations import webhooks

    b = partner_b
    with tenant_context(b.tenant):
        # The tenant-isolation walk's objects, made for partner B and its people.
        objects = {
            **partner_program_objects(b),
            **enablement_objects(b),
            **onboarding_objects(b),
            **mdf_objects(b),
        }
        b_admin = b.actor(b.partner_admin)
        invitation = services.invitation_create(
            actor=b_admin,
            email="new@b.test",
            role=Role.PARTNER_SALES,
            partner_organization=b.partner,
            send_email=False,
        )
        key, _plaintext = services.api_key_create(
            actor=b_admin, name="B's CRM", role=Role.PARTNER_ADMIN, partner_organization=b.partner
        )
        endpoint, _secret = webhooks.endpoint_create(
            actor=b_admin, url="https://hooks.b.test/prm", event_types=["deal.approved"]
        )
        delivery = webhooks.endpoint_ping(actor=b_admin, endpoint=endpoint)
        notification = Notification.objects.create(
            tenant=b.tenant, recipient=b.partner_admin, kind="tenancy.invitation", title="N"
        )
        membership = Membership.objects.get(user=b.partner_admin)
    return {
        **objects,
        "membership": membership.uuid,
        "invitation": invitation.uuid,
        "api-key": key.uuid,
        "notification": notification.uuid,
        "partner-organization": b.partner.uuid,
        "webhook-endpoint": endpoint.uuid,
        "delivery_uuid": delivery.uuid,
    }


def object_url(name: str, basename: str, kwargs, objects: dict) -> str:
    assert basename in objects, f"{name}: add partner B's {basename!r} to other_partners_objects"
    return reverse(name, kwargs={k: objects[basename if k == "id" else k] for k in kwargs})


def test_partner_bs_objects_are_there_for_their_readers(acme, partner_b, other_partners_objects):
    """The refusals below are not for want of an object: each detail URL answers 200 to someone
    who may read it (the program's key, B's key, or B's person whose row it is)."""
    b = partner_b
    readers = [
        client(acme, key_for(acme, Role.PROGRAM_ADMIN)),
        client(b, key_for(b, Role.PARTNER_ADMIN)),
        b.api(b.partner_admin),
        b.api(b.partner_sales),
    ]
    unread = []
    for name, basename, kwargs, verbs in PARTNER_OBJECT_ROUTES:
        if "get" in verbs:
            url = object_url(name, basename, kwargs, other_partners_objects)
            if not any(reader.get(url).status_code == 200 for reader in readers):
                unread.append(name)
    assert unread == []


# The routes the answers must be 404 for, whatever else changes (no role-wide 403 hides them).
MUST_BE_404 = {
    "GET deal-registration-detail",
    "GET deal-pipeline-detail",
    "POST deal-pipeline-outcome",
    "GET mdf-request-detail",
    "POST mdf-request-withdraw",
    "GET mdf-claim-detail",
    "GET mdf-payout-detail",
    "GET webhook-endpoint-detail",
    "PATCH webhook-endpoint-detail",
    "DELETE webhook-endpoint-detail",
    "POST webhook-endpoint-rotate_secret",
    "GET webhook-endpoint-deliveries",
    "GET webhook-endpoint-delivery",
    "POST webhook-endpoint-delivery_send_again",
    "GET certification-award-detail",
    "GET campaign-detail",
    "GET lead-detail",
}


def test_a_partner_key_is_refused_at_every_url_of_another_partners_object(
    acme, other_partners_objects
):
    """Every method of every detail and action route, with partner A's key on partner B's object:
    404 with a JSON body. A 403 passes only where the key's role is refused the route for any
    object (a made-up id gets the same 403): the answer never says that B's object exists."""
    api = client(acme, key_for(acme, Role.PARTNER_ADMIN))
    answers, telling = {}, {}
    for name, basename, kwargs, verbs in PARTNER_OBJECT_ROUTES:
        url = object_url(name, basename, kwargs, other_partners_objects)
        made_up = reverse(name, kwargs={k: uuid.uuid4() for k in kwargs})
        for verb in verbs:
            route = f"{verb.upper()} {name}"
            response = getattr(api, verb)(url, {}, format="json")
            assert response["Content-Type"].startswith("application/json"), route
            answers[route] = response.status_code
            if response.status_code != 404:
                blind = getattr(api, verb)(made_up, {}, format="json").status_code
                if (response.status_code, blind) != (403, 403):
                    telling[route] = (response.status_code, blind)
                    continue
            assert set(response.json()) == {"detail"}, route  # the refusal, nothing of B's
    assert telling == {}, "(answer for B's object, answer for a made-up id)"
    assert {route: answers.get(route) for route in MUST_BE_404} == dict.fromkeys(MUST_BE_404, 404)
