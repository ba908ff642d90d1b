"""Webhook endpoints through /api/v1/: a program admin (session or key) manages the program's
endpoints, a partner admin's key its organisation's only (and they hear only its partner's
events); the secret is in the answers that make it and no other; every action, the delivery log
and a delivery's attempts; other roles 403, other owners and tenants 404; bad input 400 with
field messages and nothing written; the list reads a flat number of queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from dealreg.tests.test_conflicts import ready, register
from integrations import relay, webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from tenancy import services
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

ENDPOINTS = "/api/v1/webhook-endpoints/"
EVENTS = ["deal.submitted", "deal.approved"]


def detail(endpoint_id) -> str:
    return f"{ENDPOINTS}{endpoint_id}/"


def key_client(world, user, role: str) -> APIClient:
    with tenant_context(world.tenant):
        _key, plaintext = services.api_key_create(
            actor=world.actor(user), name=f"hooks {role}", role=role
        )
    world.warm_host_cache()
    return APIClient(HTTP_HOST=world.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def make(world, url, user=None, events=EVENTS) -> WebhookEndpoint:
    with tenant_context(world.tenant):
        endpoint, _secret = webhooks.endpoint_create(
            actor=world.actor(user or world.admin), url=url, event_types=events
        )
    return endpoint


def stored(world) -> list[WebhookEndpoint]:
    with tenant_context(world.tenant):
        return list(WebhookEndpoint.objects.all())


def refused(response, code: int) -> None:
    assert response.status_code == code, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"]


@pytest.fixture(params=["session", "key"])
def admin_api(request, acme) -> APIClient:
    """The program admin, signed in (session) or through a program-admin API key."""
    if request.param == "session":
        return acme.api(acme.admin)
    return key_client(acme, acme.admin, "program_admin")


def test_the_program_admin_manages_an_endpoint_end_to_end(
    acme, admin_api, receiver, django_capture_on_commit_callbacks
):
    api = admin_api
    made = api.post(
        ENDPOINTS,
        {
            "url": receiver.url,
            "event_types": ["deal.approved", "deal.submitted"],
            "description": "CRM",
        },
    )
    assert made.status_code == 201, made.content
    body = made.json()
    [endpoint] = stored(acme)
    assert body["id"] == str(endpoint.uuid)
    assert body["secret"].startswith("whsec_") and body["secret"] == endpoint.secret
    assert body["event_types"] == ["deal.submitted", "deal.approved"]  # in the catalogue's order
    assert body["state"] == "active" and body["consecutive_failures"] == 0
    assert body["partner_organization"] is None  # the program's own
    secret = body["secret"]

    listing = api.get(ENDPOINTS)
    assert listing.status_code == 200
    assert [row["id"] for row in listing.json()["results"]] == [str(endpoint.uuid)]
    assert secret not in listing.content.decode() and "secret" not in listing.json()["results"][0]
    shown = api.get(detail(endpoint.uuid))
    assert shown.status_code == 200 and shown.json()["description"] == "CRM"
    assert secret not in shown.content.decode() and "secret" not in shown.json()

    # PATCH: what is sent changes, the rest stays; state and failures are read-only.
    paused = api.patch(
        detail(endpoint.uuid), {"is_active": False, "state": "disabled", "consecutive_failures": 9}
    )
    assert paused.status_code == 200, paused.content
    assert paused.json()["state"] == "paused" and paused.json()["consecutive_failures"] == 0
    assert paused.json()["url"] == receiver.url and paused.json()["description"] == "CRM"
    changed = api.patch(detail(endpoint.uuid), {"event_types": ["deal.won"], "is_active": True})
    assert changed.json()["event_types"] == ["deal.won"] and changed.json()["state"] == "active"
    assert secret not in paused.content.decode() + changed.content.decode()

    rotated = api.post(f"{detail(endpoint.uuid)}rotate-secret/")
    assert rotated.status_code == 200, rotated.content
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != secret
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
        assert endpoint.signing_secrets() == [new, secret]  # the old one signs for a while
    until = rotated.json()["previous_secret_valid_until"]
    assert until == api.get(detail(endpoint.uuid)).json()["previous_secret_valid_until"]
    assert new not in api.get(detail(endpoint.uuid)).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        pinged = api.post(f"{detail(endpoint.uuid)}ping/")
    assert pinged.status_code == 202, pinged.content
    delivery = pinged.json()
    assert delivery["event_type"] == "webhook.ping" and delivery["event_label"] == "Test event"
    assert [r.json["type"] for r in receiver.received] == ["webhook.ping"]
    assert receiver.received[0].json["id"] == delivery["event"]

    log = api.get(f"{detail(endpoint.uuid)}deliveries/")
    assert log.status_code == 200
    [row] = log.json()["results"]
    assert row["id"] == delivery["id"]
    assert (row["status"], row["status_label"], row["attempts"]) == ("sent", "Sent", 1)
    assert row["sent_at"] and row["last_error"] == ""
    delivery_url = f"{detail(endpoint.uuid)}deliveries/{delivery['id']}/"
    one = api.get(delivery_url).json()
    assert one["body"]["type"] == "webhook.ping" and one["body"]["id"] == delivery["event"]
    [attempt] = one["attempt_log"]
    assert attempt["status_code"] == 200 and attempt["succeeded"] and attempt["error"] == ""
    assert attempt["response_excerpt"] == '{"ok": true}' and attempt["latency_ms"] >= 0

    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"{delivery_url}send-again/")
    assert again.status_code == 202, again.content
    assert len(receiver.received) == 2
    assert receiver.received[1].json["id"] == delivery["event"]  # the same event id
    resent = api.get(delivery_url).json()
    assert resent["attempts"] == 2 and len(resent["attempt_log"]) == 2
    # Queued again but not yet gone (its delivery waits for the commit): not twice.
    assert api.post(f"{delivery_url}send-again/").status_code == 202
    refused(api.post(f"{delivery_url}send-again/"), 400)

    with tenant_context(acme.tenant):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            disabled_at=timezone.now(), consecutive_failures=10
        )
    assert api.get(detail(endpoint.uuid)).json()["state"] == "disabled"
    enabled = api.post(f"{detail(endpoint.uuid)}enable/")
    assert enabled.status_code == 200
    assert (enabled.json()["state"], enabled.json()["consecutive_failures"]) == ("active", 0)

    deleted = api.delete(detail(endpoint.uuid))
    assert deleted.status_code == 204
    assert stored(acme) == []
    refused(api.get(detail(endpoint.uuid)), 404)


def test_a_partner_admin_key_manages_only_its_own_organisations_endpoints(
    acme, receiver, django_capture_on_commit_callbacks
):
    programs = make(acme, receiver.url)
    api = key_client(acme, acme.partner_admin, "partner_admin")
    made = api.post(ENDPOINTS, {"url": receiver.url, "event_types": ["deal.submitted"]})
    assert made.status_code == 201, made.content
    assert made.json()["partner_organization"] == str(acme.partner.uuid)
    mine = made.json()["id"]

    assert [row["id"] for row in api.get(ENDPOINTS).json()["results"]] == [mine]
    assert api.get(detail(mine)).status_code == 200
    # The program's endpoint does not exist for the partner, whatever the verb.
    theirs = detail(programs.uuid)
    refused(api.get(theirs), 404)
    refused(api.patch(theirs, {"description": "mine now"}), 404)
    refused(api.delete(theirs), 404)
    for action in ("rotate-secret", "enable", "ping"):
        refused(api.post(f"{theirs}{action}/"), 404)
    refused(api.get(f"{theirs}deliveries/"), 404)
    with tenant_context(acme.tenant):
        programs.refresh_from_db()
        assert programs.description == "" and programs.secret_encrypted
    # Nor the partner's for another partner's admin, or for the program admin (not theirs).
    refused(acme.api(acme.other_partner_admin).get(detail(mine)), 404)
    refused(acme.api(acme.admin).get(detail(mine)), 404)
    assert [row["id"] for row in acme.api(acme.admin).get(ENDPOINTS).json()["results"]] == [
        str(programs.uuid)
    ]

    # It hears its own partner's events only; the program's endpoint hears both.
    ready(acme)
    own = register(acme, acme.partner_sales)
    register(acme, acme.other_partner_admin, customer_name="Umbrella", customer_domain="um.com")
    with django_capture_on_commit_callbacks(execute=True):
        relay.sweep()
    [row] = api.get(f"{detail(mine)}deliveries/").json()["results"]
    assert row["event_type"] == "deal.submitted"
    assert row["event_label"] == "A deal registration was submitted"
    assert row["subject"] == own.customer_name and row["status"] == "sent"
    partners_heard = [r.json["data"]["partner"] for r in receiver.received]
    assert partners_heard.count(str(acme.partner.uuid)) == 2  # the partner's and the program's
    assert partners_heard.count(str(acme.other_partner.uuid)) == 1  # the program's only
    # A delivery of another endpoint is not found under this one.
    with tenant_context(acme.tenant):
        other = WebhookDelivery.objects.filter(endpoint=programs).first()
    refused(api.get(f"{detail(mine)}deliveries/{other.uuid}/"), 404)
    refused(api.post(f"{detail(mine)}deliveries/{other.uuid}/send-again/"), 404)


@pytest.mark.parametrize("name", ["manager", "executive", "partner_sales"])
def test_other_roles_get_403(acme, receiver, name):
    endpoint = make(acme, receiver.url)
    api = acme.api(getattr(acme, name))
    refused(api.get(ENDPOINTS), 403)
    refused(api.post(ENDPOINTS, {"url": receiver.url, "event_types": EVENTS}), 403)
    refused(api.get(detail(endpoint.uuid)), 403)
    refused(api.delete(detail(endpoint.uuid)), 403)
    refused(api.post(f"{detail(endpoint.uuid)}rotate-secret/"), 403)
    assert len(stored(acme)) == 1


def test_a_partner_sales_key_gets_403(acme):
    api = key_client(acme, acme.partner_admin, "partner_sales")
    refused(api.get(ENDPOINTS), 403)


def test_another_tenants_endpoint_is_not_found(acme, globex, receiver):
    endpoint = make(acme, receiver.url)
    with tenant_context(acme.tenant):
        delivery = webhooks.endpoint_ping(actor=acme.actor(acme.admin), endpoint=endpoint)
    for api in (globex.api(globex.admin), key_client(globex, globex.admin, "program_admin")):
        url = detail(endpoint.uuid)
        refused(api.get(url), 404)
        refused(api.patch(url, {"description": "x"}), 404)
        refused(api.delete(url), 404)
        refused(api.post(f"{url}rotate-secret/"), 404)
        refused(api.get(f"{url}deliveries/"), 404)
        refused(api.get(f"{url}deliveries/{delivery.uuid}/"), 404)
        refused(api.post(f"{url}deliveries/{delivery.uuid}/send-again/"), 404)
        assert api.get(ENDPOINTS).json()["results"] == []
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
        assert endpoint.description == ""
    refused(acme.api(acme.admin).get(detail("not-a-uuid")), 404)


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"url": "https://hooks.example.com/prm", "event_types": ["deal.nonsense"]},
         "event_types", "Unknown event: deal.nonsense."),
        ({"url": "https://hooks.example.com/prm", "event_types": []},
         "event_types", "Choose at least one event."),
        ({"url": "ftp://files.example.com/hooks", "event_types": EVENTS},
         "url", "Only http(s) addresses can be used."),
        ({"url": "ftp://x", "event_types": EVENTS}, "url", "Enter a valid URL."),
        ({"event_types": EVENTS}, "url", "This field is required."),
    ],
)  # fmt: skip
def test_bad_input_answers_400_with_field_messages_and_writes_nothing(
    acme, payload, field, message
):
    response = acme.api(acme.admin).post(ENDPOINTS, payload)
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()[field] == [message]
    assert stored(acme) == []


def test_a_bad_change_answers_400_and_changes_nothing(acme, receiver):
    endpoint = make(acme, receiver.url)
    api = acme.api(acme.admin)
    response = api.patch(detail(endpoint.uuid), {"event_types": ["nope"], "description": "x"})
    assert response.status_code == 400
    assert response.json() == {"event_types": ["Unknown event: nope."]}
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
    assert (endpoint.event_types, endpoint.description) == (EVENTS, "")


def test_the_endpoint_limit_answers_400(acme, receiver, monkeypatch):
    monkeypatch.setattr(webhooks, "MAX_ENDPOINTS", 1)
    make(acme, receiver.url)
    response = acme.api(acme.admin).post(ENDPOINTS, {"url": receiver.url, "event_types": EVENTS})
    assert response.status_code == 400
    assert response.json() == {"detail": ["At most 1 endpoints."]}
    assert len(stored(acme)) == 1


def test_the_list_reads_a_flat_number_of_queries(acme, receiver):
    api = acme.api(acme.admin)

    def count() -> tuple[int, int]:
        cache.clear()
        acme.warm_host_cache()
        with CaptureQueriesContext(connection) as ctx:
            response = api.get(ENDPOINTS)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    make(acme, receiver.url)
    one, listed = count()
    assert listed == 1
    for _n in range(4):
        make(acme, receiver.url)
    assert count() == (one, 5)


def test_the_delivery_log_filters_and_pages(acme, receiver, django_capture_on_commit_callbacks):
    endpoint = make(acme, receiver.url)
    api = acme.api(acme.admin)
    with tenant_context(acme.tenant):
        for _n in range(3):
            webhooks.endpoint_ping(actor=acme.actor(acme.admin), endpoint=endpoint)
        WebhookDelivery.objects.filter(endpoint=endpoint).update(
            next_attempt_at=timezone.now() - timedelta(minutes=1)
        )
    receiver.answers = [200, 500]
    with django_capture_on_commit_callbacks(execute=True):
        relay.sweep()
    url = f"{detail(endpoint.uuid)}deliveries/"
    # The first went, the second failed; the third waits behind it (one chain per endpoint).
    statuses = [row["status"] for row in api.get(url).json()["results"]]
    assert statuses == ["queued", "failed", "sent"]  # newest first
    [failed] = api.get(url, {"status": "failed"}).json()["results"]
    assert failed["status_label"] == "Failed (will retry)"
    assert "500" in failed["last_error"] and failed["next_attempt_at"]
    assert api.get(url, {"event": "deal.approved"}).json()["results"] == []
    first = api.get(url, {"page_size": 2}).json()
    second = api.get(first["next"]).json()
    pages = (
        [row["status"] for row in first["results"]],
        [row["status"] for row in second["results"]],
    )
    assert pages == (["queued", "failed"], ["sent"])
    bad = api.get(url, {"status": "lost"})
    assert bad.status_code == 400 and "status" in bad.json()
