"""The webhook pages as each role sees them: the program admin's (console) and a partner admin's
(portal) endpoints, field errors that lose nothing, the secret shown once, the delivery log and a
delivery's attempts; refused to every other role and tenant; flat query counts."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealreg.tests.test_conflicts import ready, register
from integrations import relay, webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

EVENTS = ["deal.submitted", "deal.approved"]


def make(world, url, user=None):
    with tenant_context(world.tenant):
        return webhooks.endpoint_create(
            actor=world.actor(user or world.admin), url=url, event_types=EVENTS
        )


def test_the_program_admin_adds_an_endpoint_and_sees_the_secret_once(acme, receiver):
    client = acme.client(acme.admin)
    url = reverse("console_webhooks")
    page = client.get(url)
    assert page.status_code == 200
    assert "A deal registration was approved" in page.content.decode()  # events in words

    bad = client.post(url, {"url": "ftp://x", "description": "CRM", "event_types": EVENTS})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "is-invalid" in html and 'value="CRM"' in html  # the error, and nothing lost
    none = client.post(url, {"url": receiver.url})
    assert none.status_code == 400 and "This field is required" in none.content.decode()
    with tenant_context(acme.tenant):
        assert not WebhookEndpoint.objects.exists()

    made = client.post(url, {"url": receiver.url, "description": "CRM", "event_types": EVENTS})
    assert made.status_code == 200
    with tenant_context(acme.tenant):
        endpoint = WebhookEndpoint.objects.get()
        secret = endpoint.secret
    assert secret.startswith("whsec_") and secret in made.content.decode()
    assert secret not in endpoint.secret_encrypted  # stored encrypted
    assert secret not in client.get(url).content.decode()
    detail = client.get(reverse("console_webhook", kwargs={"endpoint_uuid": endpoint.uuid}))
    assert detail.status_code == 200 and secret not in detail.content.decode()


def test_the_endpoint_page_logs_deliveries_and_a_delivery_its_attempts(
    acme, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 200]
    endpoint, _secret = make(acme, receiver.url)
    ready(acme)
    register(acme, acme.partner_sales)
    relay.sweep()
    client = acme.client(acme.admin)
    page = client.get(reverse("console_webhook", kwargs={"endpoint_uuid": endpoint.uuid}))
    html = page.content.decode()
    assert "A deal registration was submitted" in html
    assert "Initech" in html  # which deal
    assert "Failed (will retry)" in html
    failed = client.get(
        reverse("console_webhook", kwargs={"endpoint_uuid": endpoint.uuid}), {"status": "sent"}
    )
    assert "No deliveries match these filters." in failed.content.decode()
    with tenant_context(acme.tenant):
        delivery = WebhookDelivery.objects.get()
    kwargs = {"endpoint_uuid": endpoint.uuid, "delivery_uuid": delivery.uuid}
    shown = client.get(reverse("console_webhook_delivery", kwargs=kwargs)).content.decode()
    assert "receiver error" in shown and "500" in shown
    assert str(delivery.event.uuid) in shown and "&quot;deal.submitted&quot;" in shown
    assert 'data-confirm="Send this event again?' in shown
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("console_webhook_delivery_replay", kwargs=kwargs))
    assert again.status_code == 302
    assert len(receiver.received) == 2
    with tenant_context(acme.tenant):
        delivery.refresh_from_db()
    assert delivery.status == "sent"


def test_actions_rotate_ping_enable_delete(acme, receiver, django_capture_on_commit_callbacks):
    endpoint, old = make(acme, receiver.url)
    client = acme.client(acme.admin)

    def act(action):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse(
                    "console_webhook_action",
                    kwargs={"endpoint_uuid": endpoint.uuid, "action": action},
                )
            )

    detail = reverse("console_webhook", kwargs={"endpoint_uuid": endpoint.uuid})
    assert client.get(detail.rstrip("/") + "/rotate/").status_code == 405  # POST only
    assert act("rotate").status_code == 302
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
    new = endpoint.secret
    assert new != old
    page = client.get(detail).content.decode()
    assert new in page and "also signs until" in page
    assert new not in client.get(detail).content.decode()  # once
    assert act("ping").status_code == 302
    assert [r.json["type"] for r in receiver.received] == ["webhook.ping"]
    with tenant_context(acme.tenant):
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    assert "Enable" in client.get(detail).content.decode()
    act("enable")
    with tenant_context(acme.tenant):
        endpoint.refresh_from_db()
        assert endpoint.is_active
    assert act("nonsense").status_code == 404
    assert act("delete").status_code == 302
    with tenant_context(acme.tenant):
        assert not WebhookEndpoint.objects.exists()


def test_a_partner_admin_manages_its_own_endpoints_in_the_portal(acme, receiver):
    theirs, _ = make(acme, receiver.url)  # the program's
    client = acme.client(acme.partner_admin)
    made = client.post(
        reverse("portal_webhooks"), {"url": receiver.url, "event_types": ["deal.submitted"]}
    )
    assert made.status_code == 200
    with tenant_context(acme.tenant):
        mine = WebhookEndpoint.objects.get(partner=acme.partner)
    listing = client.get(reverse("portal_webhooks")).content.decode()
    assert str(mine.uuid) in listing and str(theirs.uuid) not in listing
    assert (
        client.get(reverse("portal_webhook", kwargs={"endpoint_uuid": mine.uuid})).status_code
        == 200
    )
    assert (
        client.get(reverse("portal_webhook", kwargs={"endpoint_uuid": theirs.uuid})).status_code
        == 404
    )
    # Another partner's admin cannot open it either.
    other = acme.client(acme.other_partner_admin)
    assert (
        other.get(reverse("portal_webhook", kwargs={"endpoint_uuid": mine.uuid})).status_code == 404
    )


@pytest.mark.parametrize("name", ["manager", "sales", "marketing", "executive"])
def test_other_vendor_roles_are_refused(acme, name):
    client = acme.client(getattr(acme, name))
    assert client.get(reverse("console_webhooks")).status_code == 403


@pytest.mark.parametrize("name", ["partner_sales", "partner_presales", "partner_marketing"])
def test_other_partner_roles_are_refused(acme, name):
    client = acme.client(getattr(acme, name))
    assert client.get(reverse("portal_webhooks")).status_code == 403


def test_another_tenants_endpoint_is_not_found(acme, globex, receiver):
    endpoint, _ = make(acme, receiver.url)
    client = globex.client(globex.admin)
    assert (
        client.get(reverse("console_webhook", kwargs={"endpoint_uuid": endpoint.uuid})).status_code
        == 404
    )
    assert (
        client.post(
            reverse(
                "console_webhook_action",
                kwargs={"endpoint_uuid": endpoint.uuid, "action": "delete"},
            )
        ).status_code
        == 404
    )
    with tenant_context(acme.tenant):
        assert WebhookEndpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_endpoint_page_reads_a_flat_number_of_queries(acme, receiver):
    endpoint, _ = make(acme, receiver.url)
    ready(acme)
    client = acme.client(acme.admin)
    url = reverse("console_webhook", kwargs={"endpoint_uuid": endpoint.uuid})

    def count() -> int:
        cache.clear()
        acme.warm_host_cache()
        client.get(url)  # the session and per-process caches, as on a running server
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    register(acme, acme.partner_sales, customer_name="One", customer_domain="one.com")
    relay.sweep()
    few = count()
    for n in range(8):
        register(acme, acme.partner_sales, customer_name=f"Co {n}", customer_domain=f"c{n}.com")
    relay.sweep()
    assert count() == few


def test_the_demo_has_a_paused_endpoint_with_a_delivery_log(settings):
    from django.core.management import call_command

    from tenancy.models import Tenant

    settings.DEBUG = True
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.get()
        assert endpoint.state == "paused"
        deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
        assert deliveries.count() >= 5
        assert deliveries.filter(attempts=2).count() == 1
    call_command("seed_demo")  # idempotent
    with tenant_context(tenant):
        assert WebhookEndpoint.objects.count() == 1
