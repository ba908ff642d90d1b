"""The HubSpot connector against a fake HubSpot (fake_hubspot.py): request bodies, retries, the
webhook signature. No database; nothing really sleeps."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from integrations.connectors import connector_class
from integrations.connectors.base import (
    RETRIES,
    ConnectorError,
    InboundRefused,
    Link,
    RemoteChange,
)
from integrations.connectors.hubspot import HubSpotConnector

from .fake_hubspot import FakeHubSpot
from .samples import DEAL, DEAL_UUID, OWNED


@pytest.fixture
def hubspot():
    fake = FakeHubSpot().start()
    yield fake
    fake.stop()


@pytest.fixture
def connect(hubspot, sleeps):
    def make(state: dict | None = None, **settings) -> HubSpotConnector:
        return HubSpotConnector(
            settings={
                "api_base": hubspot.url,
                "client_id": "client-1",
                "client_secret": "secret-1",
                "refresh_token": "refresh-1",
                **settings,
            },
            state={} if state is None else state,
            sleep=sleeps.append,
        )

    return make


def crm_requests(fake: FakeHubSpot) -> list:
    return [r for r in fake.requests if r.path.startswith("/crm/")]


def token_requests(fake: FakeHubSpot) -> list:
    return fake.sent("POST", "/oauth/v1/token")


def millis(iso: str) -> int:
    return round(datetime.fromisoformat(iso).timestamp() * 1000)


def test_registry_finds_the_connector():
    assert connector_class("hubspot") is HubSpotConnector


# --- Sign-in -------------------------------------------------------------------------------


def test_token_request_sends_the_app_credentials_and_the_token_is_reused(hubspot, connect):
    state: dict = {}
    connect(state).test_connection()

    assert [r.body for r in token_requests(hubspot)] == [
        {
            "grant_type": "refresh_token",
            "client_id": "client-1",
            "client_secret": "secret-1",
            "refresh_token": "refresh-1",
        }
    ]
    assert state["access_token"] == "token-1"

    connect(state).test_connection()  # the next run, with the stored state
    assert len(token_requests(hubspot)) == 1
    assert {r.headers["Authorization"] for r in crm_requests(hubspot)} == {"Bearer token-1"}


def test_expired_token_in_state_is_replaced_before_calling(hubspot, connect):
    state = {"access_token": "token-old", "access_token_expires": time.time() - 1}
    connect(state).test_connection()

    assert len(token_requests(hubspot)) == 1
    assert [r.headers["Authorization"] for r in crm_requests(hubspot)] == ["Bearer token-1"]


def test_refresh_token_handed_back_by_hubspot_is_used_next_time(hubspot, connect):
    hubspot.rotate_to = "refresh-2"
    state: dict = {}
    connect(state).test_connection()
    hubspot.expire_tokens()

    connect(state).test_connection()

    assert [r.body["refresh_token"] for r in token_requests(hubspot)] == ["refresh-1", "refresh-2"]
    # A reconnect (new refresh token in the settings) wins over the handed-back one.
    hubspot.refresh_token = "refresh-3"
    hubspot.expire_tokens()
    connect(state, refresh_token="refresh-3").test_connection()
    assert token_requests(hubspot)[-1].body["refresh_token"] == "refresh-3"


def test_refused_sign_in_is_not_retried_and_says_so(hubspot, connect, sleeps):
    with pytest.raises(ConnectorError) as caught:
        connect(refresh_token="revoked").test_connection()

    assert caught.value.retry is False
    assert "missing or unknown refresh token" in str(caught.value)
    assert len(token_requests(hubspot)) == 1
    assert crm_requests(hubspot) == []


# --- Push ----------------------------------------------------------------------------------


def test_push_creates_company_and_deal_with_the_mapped_properties(hubspot, connect):
    result = connect().push_deal(DEAL, None)

    searches = hubspot.sent("POST", "/crm/v3/objects/companies/search")
    assert [s.body for s in searches] == [
        {
            "filterGroups": [
                {"filters": [{"propertyName": "domain", "operator": "EQ", "value": "acme.example"}]}
            ],
            "properties": ["name", "domain"],
            "limit": 1,
        },
        {
            "filterGroups": [
                {"filters": [{"propertyName": "name", "operator": "EQ", "value": "Acme Corp"}]}
            ],
            "properties": ["name", "domain"],
            "limit": 1,
        },
    ]
    (company,) = hubspot.sent("POST", "/crm/v3/objects/companies")
    assert company.body == {"properties": {"name": "Acme Corp", "domain": "acme.example"}}
    (created,) = hubspot.sent("POST", "/crm/v3/objects/deals")
    company_id = next(iter(hubspot.companies))
    assert created.body == {
        "properties": {
            **OWNED,
            "dealname": "Acme Corp (Globex, DR-6f1c2d3e)",
            "amount": "12000.00",
            "closedate": "2025-06-30",
            "deal_currency_code": "EUR",
            "pipeline": "default",
            "dealstage": "appointmentscheduled",
        },
        "associations": [
            {
                "to": {"id": company_id},
                "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}],
            }
        ],
    }
    deal_id = next(iter(hubspot.deals))
    assert (result.account_id, result.opportunity_id, result.created) == (company_id, deal_id, True)
    assert f"Created HubSpot deal {deal_id}" in result.message
    assert hubspot.deals[deal_id]["companies"] == [company_id]


def test_push_uses_the_company_found_by_domain_and_the_configured_pipeline(hubspot, connect):
    company_id = hubspot.add_company(name="ACME Corporation", domain="acme.example")

    result = connect(pipeline="partners", initial_stage="registered").push_deal(DEAL, None)

    assert hubspot.sent("POST", "/crm/v3/objects/companies") == []
    assert len(hubspot.sent("POST", "/crm/v3/objects/companies/search")) == 1
    (created,) = hubspot.sent("POST", "/crm/v3/objects/deals")
    assert created.body["associations"][0]["to"] == {"id": company_id}
    assert created.body["properties"]["pipeline"] == "partners"
    assert created.body["properties"]["dealstage"] == "registered"
    assert result.account_id == company_id


def test_second_push_without_link_finds_the_same_deal(hubspot, connect):
    connector = connect()
    first = connector.push_deal(DEAL, None)

    second = connector.push_deal(DEAL, None)

    assert len(hubspot.deals) == 1
    assert len(hubspot.sent("POST", "/crm/v3/objects/deals")) == 1
    assert (second.account_id, second.opportunity_id) == (first.account_id, first.opportunity_id)
    assert second.created is False
    # Looked up by the unique PRM id property, then only the PRM's properties sent.
    lookup = hubspot.sent("GET", f"/crm/v3/objects/deals/{DEAL_UUID}")[-1]
    assert lookup.query["idProperty"] == ["prm_deal_id"]
    (patch,) = hubspot.sent("PATCH", f"/crm/v3/objects/deals/{first.opportunity_id}")
    assert patch.body == {"properties": OWNED}


def test_push_with_link_sends_only_prm_owned_properties(hubspot, connect):
    connector = connect()
    first = connector.push_deal(DEAL, None)
    hubspot.edit(first.opportunity_id, dealstage="contractsent", amount="99000")
    before = len(hubspot.requests)

    result = connector.push_deal(
        replace(DEAL, status_label="Won", lock_expires_at=None, amount=Decimal("1")),
        Link(first.account_id, first.opportunity_id),
    )

    sent = hubspot.requests[before:]
    assert [(r.method, r.path) for r in sent] == [
        ("PATCH", f"/crm/v3/objects/deals/{first.opportunity_id}")
    ]
    properties = sent[0].body["properties"]
    assert properties == {**OWNED, "prm_registration_status": "Won", "prm_lock_expires": ""}
    assert not {"dealstage", "amount", "dealname", "closedate"} & set(properties)
    kept = hubspot.deals[first.opportunity_id]["properties"]
    assert (kept["dealstage"], kept["amount"]) == ("contractsent", "99000")
    assert (result.opportunity_id, result.created) == (first.opportunity_id, False)


def test_push_after_hubspot_refuses_a_duplicate_id_updates_the_existing_deal(hubspot, connect):
    existing = hubspot.add_deal(dealname="Acme", prm_deal_id=DEAL_UUID)
    # The read misses it (as if made a moment ago by a push that timed out): the create is refused.
    hubspot.fail(404, path=f"/crm/v3/objects/deals/{DEAL_UUID}")

    result = connect().push_deal(DEAL, None)

    assert len(hubspot.deals) == 1
    assert (result.opportunity_id, result.created) == (existing, False)
    (patch,) = hubspot.sent("PATCH", f"/crm/v3/objects/deals/{existing}")
    assert patch.body == {"properties": OWNED}


# --- Pull ----------------------------------------------------------------------------------


def pulled_deals(fake: FakeHubSpot, count: int) -> list[str]:
    return [
        fake.add_deal(prm_deal_id=f"uuid-{n}", dealstage="qualifiedtobuy", hs_next_step=f"Call {n}")
        for n in range(count)
    ]


def test_first_pull_asks_for_every_linked_deal(hubspot, connect):
    ids = pulled_deals(hubspot, 2)
    hubspot.add_deal(dealname="Made in HubSpot, not by the PRM")

    result = connect().pull_changes({}, linked=[])

    (search,) = hubspot.sent("POST", "/crm/v3/objects/deals/search")
    assert search.body == {
        "filterGroups": [
            {"filters": [{"propertyName": "prm_deal_id", "operator": "HAS_PROPERTY"}]}
        ],
        "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
        "properties": [
            "dealstage",
            "hs_next_step",
            "description",
            "prm_deal_id",
            "hs_lastmodifieddate",
        ],
        "limit": 100,
    }
    assert [(c.opportunity_id, c.deal_uuid, c.stage, c.next_step) for c in result.changes] == [
        (ids[0], "uuid-0", "qualifiedtobuy", "Call 0"),
        (ids[1], "uuid-1", "qualifiedtobuy", "Call 1"),
    ]
    last = hubspot.deals[ids[1]]["properties"]["hs_lastmodifieddate"]
    assert result.cursor == {"since_ms": millis(last)}
    assert result.changes[1].changed_at == datetime.fromisoformat(last)


def test_pull_returns_only_changes_after_the_cursor(hubspot, connect):
    ids = pulled_deals(hubspot, 3)
    connector = connect()
    cursor = connector.pull_changes({}, linked=[]).cursor
    hubspot.edit(ids[1], dealstage="contractsent", hs_next_step="Send the contract")

    result = connector.pull_changes(cursor, linked=[])

    search = hubspot.sent("POST", "/crm/v3/objects/deals/search")[-1]
    assert search.body["filterGroups"] == [
        {
            "filters": [
                {
                    "propertyName": "hs_lastmodifieddate",
                    "operator": "GT",
                    "value": str(cursor["since_ms"]),
                },
                {"propertyName": "prm_deal_id", "operator": "HAS_PROPERTY"},
            ]
        }
    ]
    assert result.changes == [
        RemoteChange(
            opportunity_id=ids[1],
            deal_uuid="uuid-1",
            stage="contractsent",
            next_step="Send the contract",
            notes="",
            changed_at=result.changes[0].changed_at,
        )
    ]
    assert result.cursor["since_ms"] > cursor["since_ms"]
    assert connector.pull_changes(result.cursor, linked=[]).changes == []


def test_pull_follows_the_pages(hubspot, connect):
    hubspot.page_size = 2
    ids = pulled_deals(hubspot, 5)

    result = connect().pull_changes({}, linked=[])

    searches = hubspot.sent("POST", "/crm/v3/objects/deals/search")
    assert [s.body.get("after") for s in searches] == [None, "2", "4"]
    assert [c.opportunity_id for c in result.changes] == ids


# --- Errors and retries --------------------------------------------------------------------


def test_401_gets_a_new_token_once_and_retries(hubspot, connect, sleeps):
    state = {"access_token": "token-stale"}

    connect(state).test_connection()

    assert [r.headers["Authorization"] for r in crm_requests(hubspot)] == [
        "Bearer token-stale",
        "Bearer token-1",
    ]
    assert len(token_requests(hubspot)) == 1
    assert state["access_token"] == "token-1"
    assert sleeps == []


def test_401_twice_fails_without_retry(hubspot, connect):
    hubspot.fail(401, times=2)

    with pytest.raises(ConnectorError) as caught:
        connect().test_connection()

    assert (caught.value.retry, caught.value.status) == (False, 401)
    assert len(token_requests(hubspot)) == 2  # the first sign-in and one new token
    assert len(crm_requests(hubspot)) == 2


def test_429_waits_as_hubspot_asks_then_succeeds(hubspot, connect, sleeps):
    hubspot.fail(429, retry_after="2")

    result = connect().push_deal(DEAL, None)

    assert sleeps == [2.0]
    assert result.created is True
    assert len(hubspot.deals) == 1


def test_429_without_retry_after_waits_hubspots_window(hubspot, connect, sleeps):
    hubspot.fail(429)

    connect().test_connection()

    assert sleeps == [10.0]


def test_502_once_is_retried(hubspot, connect, sleeps):
    hubspot.fail(502)

    result = connect().pull_changes({}, linked=[])

    assert sleeps == [1]
    assert len(hubspot.sent("POST", "/crm/v3/objects/deals/search")) == 2
    assert result.changes == []


def test_502_always_fails_retryable_after_the_tries(hubspot, connect, sleeps):
    hubspot.fail(502, times=10)

    with pytest.raises(ConnectorError) as caught:
        connect().test_connection()

    assert (caught.value.retry, caught.value.status) == (True, 502)
    assert len(crm_requests(hubspot)) == RETRIES
    assert sleeps == [1, 2]


def test_dropped_connections_are_retried_by_us_only(hubspot, connect, sleeps):
    hubspot.fail(0, times=10)

    with pytest.raises(ConnectorError) as caught:
        connect().test_connection()

    assert caught.value.retry is True
    # One request per try: the client's own urllib3 retries are off.
    assert len(crm_requests(hubspot)) == RETRIES


def test_400_fails_with_hubspots_message(hubspot, connect, sleeps):
    hubspot.fail(
        400,
        path="/crm/v3/objects/deals",
        method="POST",
        message='Property values were not valid: "amount" must be a number',
    )

    with pytest.raises(ConnectorError) as caught:
        connect().push_deal(DEAL, None)

    assert (caught.value.retry, caught.value.status) == (False, 400)
    assert str(caught.value) == (
        'HubSpot refused to create the deal (400): Property values were not valid: "amount" '
        "must be a number"
    )
    assert len(hubspot.sent("POST", "/crm/v3/objects/deals")) == 1
    assert sleeps == []


# --- Inbound (webhooks) --------------------------------------------------------------------

INBOUND_URL = "https://acme.prm.example/integrations/inbound/3b9d/"


def signed(body: bytes, *, secret: str = "secret-1", age_ms: int = 0) -> dict[str, str]:
    timestamp = str(int(time.time() * 1000) - age_ms)
    source = ("POST" + INBOUND_URL + body.decode() + timestamp).encode()
    digest = hmac.new(secret.encode(), source, hashlib.sha256).digest()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": timestamp,
    }


EVENTS = json.dumps(
    [
        {
            "objectId": 501,
            "propertyName": "dealstage",
            "propertyValue": "contractsent",
            "subscriptionType": "deal.propertyChange",
            "occurredAt": 1735732800000,
        },
        {
            "objectId": 501,
            "propertyName": "hs_next_step",
            "propertyValue": "Send the contract",
            "subscriptionType": "deal.propertyChange",
            "occurredAt": 1735732860000,
        },
        {
            "objectId": 502,
            "propertyName": "amount",
            "propertyValue": "5000",
            "subscriptionType": "deal.propertyChange",
            "occurredAt": 1735732900000,
        },
        {
            "objectId": 502,
            "propertyName": "description",
            "propertyValue": "Budget approved",
            "subscriptionType": "deal.propertyChange",
            "occurredAt": 1735732880000,
        },
        {"objectId": 77, "subscriptionType": "contact.creation", "occurredAt": 1735732900000},
    ]
).encode()


def test_signed_notification_gives_one_change_per_deal(connect):
    changes = connect().inbound(method="POST", url=INBOUND_URL, headers=signed(EVENTS), body=EVENTS)

    assert changes == [
        RemoteChange(
            opportunity_id="501",
            stage="contractsent",
            next_step="Send the contract",
            changed_at=datetime(2025, 1, 1, 12, 1, tzinfo=UTC),
        ),
        RemoteChange(
            opportunity_id="502",
            notes="Budget approved",
            changed_at=datetime(2025, 1, 1, 12, 1, 20, tzinfo=UTC),
        ),
    ]


@pytest.mark.parametrize(
    "headers, body",
    [
        pytest.param(signed(EVENTS), EVENTS.replace(b"contractsent", b"closedwon"), id="tampered"),
        pytest.param(signed(EVENTS, secret="other-app"), EVENTS, id="wrong-secret"),
        pytest.param(signed(EVENTS, age_ms=6 * 60 * 1000), EVENTS, id="old-timestamp"),
        pytest.param({}, EVENTS, id="unsigned"),
    ],
)
def test_notification_failing_verification_is_refused(connect, headers, body):
    with pytest.raises(InboundRefused):
        connect().inbound(method="POST", url=INBOUND_URL, headers=headers, body=body)


# --- Test connection -----------------------------------------------------------------------


def test_connection_checks_the_mapped_properties(hubspot, connect):
    message = connect().test_connection()

    assert "every mapped property" in message
    assert [(r.method, r.path) for r in crm_requests(hubspot)] == [
        ("GET", "/crm/v3/properties/deals")
    ]


def test_connection_names_a_missing_property_and_how_to_create_it(hubspot, connect):
    hubspot.deal_properties.remove("prm_deal_id")

    with pytest.raises(ConnectorError) as caught:
        connect().test_connection()

    assert caught.value.retry is False
    assert str(caught.value) == (
        "HubSpot has no deal property prm_deal_id: create it (single-line text, unique values)."
    )
