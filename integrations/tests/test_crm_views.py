"""The CRM sync pages: a program admin connects, configures, tests, pulls and deletes; field
errors are shown and nothing half-saved; every other role, partners and other tenants are
refused; the connection page reads a flat number of queries; the demo has a connection in demo
mode with a sync log."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations import connections, crm, relay
from integrations.models import CrmConnection, CrmSyncLog
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .test_relay import approved_deal

pytestmark = pytest.mark.django_db


def demo_connection(world, name="Salesforce (demo)") -> CrmConnection:
    with tenant_context(world.tenant):
        return connections.connection_create(
            actor=world.actor(world.admin),
            kind="salesforce",
            name=name,
            settings={},
            demo_mode=True,
        )


def page(connection) -> str:
    return reverse("console_crm_connection", kwargs={"connection_uuid": connection.uuid})


def act(connection, action) -> str:
    return reverse(
        "console_crm_connection_action",
        kwargs={"connection_uuid": connection.uuid, "action": action},
    )


def form_data(client, connection) -> dict:
    """What the browser would post back: the form as shown."""
    form = client.get(page(connection)).context["form"]
    return {name: form[name].value() or "" for name in form.fields}


def test_an_admin_connects_a_crm_and_configures_it_with_clear_errors(acme):
    client = acme.client(acme.admin)
    url = reverse("console_crm_connections")
    assert client.get(url).status_code == 200
    answer = client.post(url, {"kind": "salesforce", "name": ""})
    assert answer.status_code == 400
    assert answer.context["form"].errors["name"]
    answer = client.post(url, {"kind": "hubspot", "name": "HubSpot"})
    connection = CrmConnection.objects.unscoped().get()
    assert answer.status_code == 302 and answer["Location"] == page(connection)
    assert not connection.is_active  # paused until its settings are saved
    text = client.get(page(connection)).content.decode()
    for words in ("Client secret", "Field mapping", "Stage mapping", "Test connection"):
        assert words.lower() in text.lower(), words
    data = form_data(client, connection)
    data.update(name="HubSpot", is_active="on", setting_client_id="abc")
    data["other_stages"] = "Demo booked = nonsense"
    answer = client.post(page(connection), data)
    assert answer.status_code == 400
    errors = answer.context["form"].errors
    assert "setting_client_secret" in errors and "other_stages" in errors
    connection.refresh_from_db()
    assert connection.settings.get("client_id", "") == ""  # nothing half-saved
    data.update(
        setting_client_secret="s3cret",
        setting_refresh_token="r3fresh",
        other_stages="Demo booked = Discovery",
        map_partner_name="partner_company",
    )
    answer = client.post(page(connection), data)
    assert answer.status_code == 302, answer.context["form"].errors
    connection.refresh_from_db()
    assert connection.is_active
    assert connection.settings["client_secret"] == "s3cret"
    assert connection.stage_mapping == {"Demo booked": "discovery"}
    assert connection.field_mapping == {"partner_name": "partner_company"}
    # The secret is never shown again; a blank field keeps it.
    text = client.get(page(connection)).content.decode()
    assert "s3cret" not in text and "r3fresh" not in text
    data = form_data(client, connection)  # now with a row for "Demo booked"
    data.update(name="HubSpot", is_active="on", setting_client_secret="", other_stages="")
    assert data["stage_7"] == "discovery" and data["setting_refresh_token"] == ""
    answer = client.post(page(connection), data)
    assert answer.status_code == 302, answer.context["form"].errors
    connection.refresh_from_db()
    assert connection.settings["client_secret"] == "s3cret"
    actions = set(AuditEvent.objects.unscoped().values_list("action", flat=True))
    assert {"integrations.crm_connected", "integrations.crm_changed"} <= actions


def test_test_pull_and_delete_buttons(acme):
    connection = demo_connection(acme)
    approved_deal(acme)
    relay.sweep()
    client = acme.client(acme.admin)
    answer = client.post(act(connection, "test"), follow=True)
    assert "Demo mode" in answer.content.decode()
    assert CrmSyncLog.objects.unscoped().filter(direction="test", ok=True).count() == 1
    answer = client.post(act(connection, "pull"), follow=True)
    assert "Pulled" in answer.content.decode()
    assert client.post(act(connection, "nonsense")).status_code == 404
    assert client.get(act(connection, "delete")).status_code == 405
    answer = client.post(act(connection, "delete"))
    assert answer.status_code == 302
    assert not CrmConnection.objects.unscoped().exists()


def test_the_sync_log_filters_by_what_and_outcome(acme):
    connection = demo_connection(acme)
    crm.log(connection, "push", "Pushed fine")
    crm.log(connection, "pull", "Pull broke", ok=False)
    client = acme.client(acme.admin)

    def log_table(**filters) -> str:
        text = client.get(page(connection), filters).content.decode()
        return text[text.index('id="crm-sync-log"') :]

    text = log_table(outcome="error")
    assert "Pull broke" in text and "Pushed fine" not in text
    text = log_table(direction="push")
    assert "Pushed fine" in text and "Pull broke" not in text


@pytest.mark.parametrize("name", ["manager", "sales", "marketing", "executive"])
def test_other_vendor_roles_are_refused(acme, name):
    connection = demo_connection(acme)
    client = acme.client(getattr(acme, name))
    assert client.get(reverse("console_crm_connections")).status_code == 403
    assert client.get(page(connection)).status_code == 403
    assert client.post(act(connection, "delete")).status_code == 403
    assert CrmConnection.objects.unscoped().exists()


@pytest.mark.parametrize("name", ["partner_admin", "partner_sales"])
def test_partners_are_refused(acme, name):
    connection = demo_connection(acme)
    client = acme.client(getattr(acme, name))
    assert client.get(reverse("console_crm_connections")).status_code == 403
    assert client.get(page(connection)).status_code == 403
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        connections.connection_create(
            actor=acme.actor(acme.partner_admin), kind="hubspot", name="Mine", settings={}
        )


def test_another_tenants_connection_is_not_found(acme, globex):
    connection = demo_connection(acme)
    client = globex.client(globex.admin)
    assert client.get(page(connection)).status_code == 404
    assert client.post(act(connection, "delete")).status_code == 404
    assert CrmConnection.objects.unscoped().filter(pk=connection.pk).exists()
    assert client.get(reverse("console_crm_connections")).context["connections"] == []


def test_the_connection_page_reads_a_flat_number_of_queries(acme):
    connection = demo_connection(acme)
    client = acme.client(acme.admin)
    url = page(connection)

    def count() -> int:
        cache.clear()
        acme.warm_host_cache()
        client.get(url)
        with CaptureQueriesContext(db) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    approved_deal(acme)
    relay.sweep()
    few = count()
    for n in range(6):
        approved_deal(acme, customer_name=f"Co {n}", customer_domain=f"c{n}.com")
    relay.sweep()
    crm.pull(CrmConnection.objects.unscoped().get())
    assert CrmSyncLog.objects.unscoped().count() >= 7
    assert count() == few


def test_the_demo_has_a_crm_connection_in_demo_mode_with_a_sync_log(settings):
    from django.core.management import call_command

    from tenancy.models import Tenant

    settings.DEBUG = True
    call_command("seed_demo")
    tenant = Tenant.objects.get(slug="acme")
    with tenant_context(tenant):
        connection = CrmConnection.objects.get()
        assert connection.demo_mode and connection.is_active
        assert connection.links.count() >= 2  # the approved registrations
        log = CrmSyncLog.objects.filter(connection=connection)
        assert log.filter(direction="push", ok=True).count() >= 2
        assert not log.filter(ok=False).exists()
    call_command("seed_demo")  # idempotent
    with tenant_context(tenant):
        assert CrmConnection.objects.count() == 1


def test_a_crm_address_inside_the_private_network_is_refused_in_production(acme, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    with tenant_context(acme.tenant):
        connection = connections.connection_create(
            actor=acme.actor(acme.admin), kind="bottlecrm", name="BottleCRM", settings={}
        )
        for url, words in (
            ("http://crm.example.com", "Only https"),
            ("https://127.0.0.1:8765", "private network"),
            ("https://169.254.169.254/latest", "private network"),
        ):
            with pytest.raises(ValidationError) as refused:
                connections.connection_update(
                    actor=acme.actor(acme.admin),
                    connection=connection,
                    name="BottleCRM",
                    settings={"base_url": url, "api_token": "bcrm_pat_x"},
                    field_mapping={},
                    stage_mapping={},
                    is_active=True,
                    demo_mode=False,
                )
            assert words in " ".join(refused.value.message_dict["base_url"]), url
