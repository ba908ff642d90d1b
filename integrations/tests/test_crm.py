"""Two-way CRM sync through a connection (integrations.crm), against the fake HubSpot: an
approved registration becomes one CRM deal with the partner on it; later events send only what
the PRM owns; the CRM's stage, next step and notes come back (pull and signed notification) into
the partner's pipeline, and nothing else of the CRM does; failures retry and are logged; only
program admins manage connections."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.urls import reverse

from dealreg.models import DealRegistration, SalesStage
from dealreg.services.outcomes import deal_outcome
from integrations import connections, crm, relay
from integrations.models import CrmConnection, CrmLink, CrmSync, CrmSyncLog
from tenancy.context import tenant_context
from tenancy.models import AuditEvent
from tenancy.outbox import DeliveryStatus

from .fake_hubspot import FakeHubSpot
from .test_relay import approved_deal, later

# The sync's retry pauses are recorded, not slept (conftest.no_waiting).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_waiting")]


@pytest.fixture
def hubspot():
    fake = FakeHubSpot().start()
    yield fake
    fake.stop()


def connect(world, fake, **overrides) -> CrmConnection:
    with tenant_context(world.tenant):
        connection = connections.connection_create(
            actor=world.actor(world.admin), kind="hubspot", name="HubSpot", settings={}
        )
        arguments = {
            "name": "HubSpot",
            "settings": {
                "api_base": fake.url,
                "client_id": fake.client_id,
                "client_secret": fake.client_secret,
                "refresh_token": fake.refresh_token,
            },
            "field_mapping": {},
            "stage_mapping": {},
            "is_active": True,
            "demo_mode": False,
            **overrides,
        }
        return connections.connection_update(
            actor=world.actor(world.admin), connection=connection, **arguments
        )


def only_deal(fake) -> tuple[str, dict]:
    assert len(fake.deals) == 1
    return next(iter(fake.deals.items()))


def properties(record) -> dict:
    return record.get("properties", record)


def test_approval_creates_one_crm_deal_with_the_partner_and_later_events_send_only_ours(
    acme, hubspot
):
    connection = connect(acme, hubspot)
    deal = approved_deal(acme)
    relay.sweep()
    deal_id, record = only_deal(hubspot)
    props = properties(record)
    assert props["prm_deal_id"] == str(deal.uuid)
    assert props["prm_partner"] == acme.partner.name
    assert props["prm_partner_id"] == str(acme.partner.uuid)
    assert props["prm_registration_status"] == "Approved"
    assert props["dealname"].startswith(deal.customer_name)
    assert props["amount"] == str(deal.estimated_value)
    assert len(hubspot.companies) == 1
    link = CrmLink.objects.unscoped().get(connection=connection)
    assert (link.deal_uuid, link.opportunity_id) == (deal.uuid, deal_id)
    sync = CrmSync.objects.unscoped().get(connection=connection)
    assert (sync.status, sync.idempotency_key) == (
        DeliveryStatus.SENT,
        sync.event.uuid.hex and str(sync.event.uuid),
    )
    # Sales change the amount and stage in HubSpot; the deal is then won in the PRM.
    hubspot.edit(deal_id, amount="99999", dealstage="contractsent")
    patches_before = len(hubspot.sent("PATCH", f"/crm/v3/objects/deals/{deal_id}"))
    with tenant_context(acme.tenant):
        deal_outcome(actor=acme.actor(acme.admin), registration=deal, outcome="won")
    relay.sweep()
    patches = hubspot.sent("PATCH", f"/crm/v3/objects/deals/{deal_id}")
    assert len(patches) == patches_before + 1
    body = patches[-1].body["properties"]
    assert body["prm_registration_status"] == "Won"
    assert not {"amount", "dealstage", "dealname", "closedate"} & set(body)
    props = properties(hubspot.deals[deal_id])
    assert (props["amount"], props["dealstage"]) == ("99999", "contractsent")  # the CRM's
    assert len(hubspot.deals) == 1  # upserted once
    assert CrmSyncLog.objects.unscoped().filter(connection=connection, ok=True).count() == 2


def test_a_stage_change_in_the_crm_reaches_the_partner_pipeline_and_nothing_else_does(
    acme, hubspot
):
    connection = connect(acme, hubspot)
    deal = approved_deal(acme)
    relay.sweep()
    deal_id, _record = only_deal(hubspot)
    assert crm.pull(connection) == 0  # the first pull: nothing changed since the push
    hubspot.edit(
        deal_id,
        dealstage="contractsent",
        hs_next_step="Contract with the customer's lawyers",
        description="Legal review under way",
        amount="77777",
        hubspot_owner_id="sales-rep-secret",
    )
    connection.refresh_from_db()
    assert crm.pull(connection) == 1
    deal.refresh_from_db()
    assert deal.sales_stage == SalesStage.NEGOTIATION
    assert deal.next_step == "Contract with the customer's lawyers"
    assert deal.manager_notes == "Legal review under way"
    assert deal.estimated_value != 77777  # the CRM's amount stays the CRM's
    assert deal.status == "approved"  # the PRM owns the status
    audit = AuditEvent.objects.unscoped().filter(action="deal.pipeline_updated").get()
    assert audit.actor_label == "CRM: HubSpot"
    page = acme.client(acme.partner_sales).get(reverse("portal_deals"))
    text = page.content.decode()
    assert "Negotiation" in text and "Contract with the customer" in text
    assert "77,777" not in text and "77777" not in text and "sales-rep-secret" not in text
    connection.refresh_from_db()
    assert crm.pull(connection) == 0  # nothing new: nothing written twice
    assert AuditEvent.objects.unscoped().filter(action="deal.pipeline_updated").count() == 1


def sign_hubspot(url: str, body: bytes, secret: str) -> dict:
    timestamp = str(int(time.time() * 1000))
    source = ("POST" + url + body.decode() + timestamp).encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return {
        "HTTP_X_HUBSPOT_SIGNATURE_V3": base64.b64encode(digest).decode(),
        "HTTP_X_HUBSPOT_REQUEST_TIMESTAMP": timestamp,
    }


def test_a_signed_notification_applies_at_once_and_a_forged_one_is_refused(acme, hubspot):
    connection = connect(acme, hubspot)
    deal = approved_deal(acme)
    relay.sweep()
    deal_id, _record = only_deal(hubspot)
    path = reverse("crm_inbound", kwargs={"connection_uuid": connection.uuid})
    url = f"http://{acme.host()}{path}"
    body = json.dumps(
        [
            {
                "objectId": int(deal_id) if deal_id.isdigit() else deal_id,
                "propertyName": "dealstage",
                "propertyValue": "decisionmakerboughtin",
                "subscriptionType": "deal.propertyChange",
                "occurredAt": int(time.time() * 1000),
            }
        ]
    ).encode()
    client = acme.client()
    forged = sign_hubspot(url, body, "not-the-secret")
    answer = client.post(path, body, content_type="application/json", **forged)
    assert answer.status_code == 401 and "detail" in answer.json()
    deal.refresh_from_db()
    assert deal.sales_stage == SalesStage.QUALIFICATION
    signed = sign_hubspot(url, body, hubspot.client_secret)
    answer = client.post(path, body, content_type="application/json", **signed)
    assert answer.status_code == 200, answer.content
    assert answer.json()["updated"] == 1
    deal.refresh_from_db()
    assert deal.sales_stage == SalesStage.PROPOSAL
    log = CrmSyncLog.objects.unscoped().filter(connection=connection, direction="inbound")
    assert [entry.ok for entry in log.order_by("at", "id")] == [False, True]
    unknown = reverse("crm_inbound", kwargs={"connection_uuid": acme.partner.uuid})
    assert client.post(unknown, body, content_type="application/json").status_code == 404


def test_a_crm_that_is_down_gets_the_deal_later_and_the_log_says_why(acme, hubspot, no_waiting):
    connection = connect(acme, hubspot)
    hubspot.fail(502, times=3)
    deal = approved_deal(acme)
    relay.sweep()
    sync = CrmSync.objects.unscoped().get(connection=connection)
    assert sync.status == DeliveryStatus.FAILED
    assert no_waiting == [1, 2]  # retried in place first
    assert not hubspot.deals
    connection.refresh_from_db()
    assert "502" in connection.last_error
    failed = CrmSyncLog.objects.unscoped().get(connection=connection, ok=False)
    assert failed.deal_uuid == deal.uuid and failed.direction == "push"
    with later(2):
        relay.sweep()  # the backoff is over: HubSpot answers now
    sync.refresh_from_db()
    assert sync.status == DeliveryStatus.SENT and sync.attempts == 2
    assert len(hubspot.deals) == 1
    connection.refresh_from_db()
    assert connection.last_error == ""


def test_a_paused_connection_sends_nothing_and_an_unmapped_stage_is_logged(acme, hubspot):
    connection = connect(acme, hubspot, is_active=False)
    approved_deal(acme)
    relay.sweep()
    assert not hubspot.deals and not CrmSync.objects.unscoped().exists()
    connection = connect_again(acme, connection, hubspot)
    deal = approved_deal(acme, customer_name="Initech", customer_domain="initech.example")
    relay.sweep()
    deal_id = next(
        key
        for key, record in hubspot.deals.items()
        if properties(record)["prm_deal_id"] == str(deal.uuid)
    )
    crm.pull(connection)
    hubspot.edit(deal_id, dealstage="custom-stage-42")
    connection.refresh_from_db()
    crm.pull(connection)
    entry = CrmSyncLog.objects.unscoped().filter(connection=connection, ok=False).get()
    assert "custom-stage-42" in entry.message
    deal.refresh_from_db()
    assert deal.sales_stage == SalesStage.QUALIFICATION


def connect_again(world, connection, fake):
    with tenant_context(world.tenant):
        return connections.connection_update(
            actor=world.actor(world.admin),
            connection=connection,
            name=connection.name,
            settings={"api_base": fake.url, "client_id": fake.client_id},
            field_mapping={},
            stage_mapping={},
            is_active=True,
            demo_mode=False,
        )


def test_secrets_are_stored_encrypted_and_kept_when_the_form_leaves_them_blank(acme, hubspot):
    connection = connect(acme, hubspot)
    raw = CrmConnection.objects.unscoped().values_list("settings_encrypted", flat=True).get()
    assert hubspot.client_secret not in raw and hubspot.refresh_token not in raw
    connection = connect_again(acme, connection, hubspot)
    assert connection.settings["refresh_token"] == hubspot.refresh_token
    with tenant_context(acme.tenant):
        ok, message = connections.connection_test(
            actor=acme.actor(acme.admin), connection=connection
        )
    assert ok, message


def test_the_demo_connection_simulates_the_crm(acme):
    with tenant_context(acme.tenant):
        connection = connections.connection_create(
            actor=acme.actor(acme.admin),
            kind="salesforce",
            name="Salesforce (demo)",
            settings={},
            demo_mode=True,
        )
    deals = [
        approved_deal(acme, customer_name=f"Customer {n}", customer_domain=f"c{n}.example")
        for n in range(6)
    ]
    relay.sweep()
    assert CrmLink.objects.unscoped().filter(connection=connection).count() == 6

    def stages():
        return set(
            DealRegistration.objects.unscoped()
            .filter(pk__in=[deal.pk for deal in deals])
            .values_list("sales_stage", flat=True)
        )

    # Each pull moves about a third of the opportunities one CRM stage on; Salesforce's first
    # two stages are both the PRM's "qualification", so a deal shows a move from its second
    # hit. Which deals move depends on their (random) ids: pull until one has, in few rounds.
    for _round in range(20):
        connection.refresh_from_db()
        crm.pull(connection)
        if stages() - {SalesStage.QUALIFICATION}:
            break
    assert stages() - {SalesStage.QUALIFICATION}  # some moved on
    assert CrmSyncLog.objects.unscoped().filter(connection=connection, ok=False).count() == 0
