"""The Salesforce connector against a fake Salesforce over HTTPS (fake_salesforce.py): what it
sends (paths and bodies), what it reads back, and how it meets expired tokens, limits and
refusals. No database; `sleep` is recorded, never slept."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import requests

from integrations.connectors import connector_class
from integrations.connectors.base import RETRIES, ConnectorError, DealRecord, Link
from integrations.connectors.salesforce import SalesforceConnector

from .fake_salesforce import CLIENT_ID, CLIENT_SECRET, FakeSalesforce

API = "/services/data/v60.0"
DEAL = DealRecord(
    deal_uuid="6f1c2d3e-0000-4000-8000-000000000001",
    reference="DR-6f1c2d3e",
    status="approved",
    status_label="Approved",
    customer_name="Acme Corp",
    customer_domain="Acme.com",
    amount=Decimal("25000.00"),
    currency="EUR",
    close_date=date(2024, 9, 30),
    partner_uuid="9a8b7c6d-0000-4000-8000-000000000002",
    partner_name="Northwind",
    approved_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
    lock_expires_at=datetime(2024, 8, 1, 9, 0, tzinfo=UTC),
    region="EMEA",
    products=("Widgets",),
    url="https://prm.example/deals/6f1c2d3e",
)
OWNED = {
    "PRM_Partner_Id__c": DEAL.partner_uuid,
    "PRM_Partner__c": "Northwind",
    "PRM_Registration_Status__c": "Approved",
    "PRM_Lock_Expires__c": "2024-08-01T09:00:00+00:00",
    "PRM_Registration_URL__c": "https://prm.example/deals/6f1c2d3e",
}


@pytest.fixture
def fake():
    server = FakeSalesforce().start()
    yield server
    server.stop()


@pytest.fixture
def connect(fake, sleeps):
    """A connector for the fake: trusts its CA, records sleeps instead of sleeping."""

    def connect(state=None, **settings) -> SalesforceConnector:
        session = requests.Session()
        session.verify = fake.ca_path
        # NOTE: else REQUESTS_CA_BUNDLE (and proxy variables) from the environment win over
        # session.verify (requests' merge_environment_settings).
        session.trust_env = False
        settings = {
            "login_url": fake.url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            **settings,
        }
        return SalesforceConnector(
            settings=settings, state=state or {}, session=session, sleep=sleeps.append
        )

    return connect


def deal(**changes) -> DealRecord:
    return DealRecord(**{**DEAL.__dict__, **changes})


def api_calls(fake) -> list:
    return [r for r in fake.requests if r.path.startswith("/services/data/")]


# --- Sign-in -------------------------------------------------------------------------------


def test_registry_finds_the_connector():
    assert connector_class("salesforce") is SalesforceConnector


def test_sign_in_sends_client_credentials_and_the_token_is_kept_for_the_next_run(fake, connect):
    first = connect()
    first.push_deal(DEAL, None)

    (token_request,) = fake.calls("POST", "/services/oauth2/token")
    assert token_request.body == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert first.state == {"access_token": fake.tokens[0], "instance_url": fake.url}
    assert {r.headers["Authorization"] for r in api_calls(fake)} == {f"Bearer {fake.tokens[0]}"}

    # The next run starts from the saved state: no new sign-in.
    second = connect(state=dict(first.state))
    second.push_deal(deal(deal_uuid="6f1c2d3e-0000-4000-8000-000000000009"), None)
    assert len(fake.calls("POST", "/services/oauth2/token")) == 1


def test_wrong_secret_is_a_refusal_in_words_not_retried(fake, connect, sleeps):
    with pytest.raises(ConnectorError) as raised:
        connect(client_secret="wrong").test_connection()
    assert raised.value.retry is False
    assert "invalid client credentials" in str(raised.value)
    assert len(fake.requests) == 1
    assert sleeps == []


# --- Push ----------------------------------------------------------------------------------


def test_first_push_creates_account_and_opportunity_with_exactly_the_mapped_fields(fake, connect):
    result = connect().push_deal(DEAL, None)

    account_upsert, opportunity_upsert = fake.calls("PATCH")
    assert account_upsert.path == f"{API}/sobjects/Account/PRM_Account_Key__c/acme.com"
    assert account_upsert.body == {"Name": "Acme Corp", "Website": "Acme.com"}
    (account,) = fake.records["Account"].values()
    assert opportunity_upsert.path == f"{API}/sobjects/Opportunity/PRM_Deal_Id__c/{DEAL.deal_uuid}"
    assert opportunity_upsert.body == {
        "Name": "Acme Corp (Northwind, DR-6f1c2d3e)",
        "Amount": "25000.00",
        "CloseDate": "2024-09-30",
        **OWNED,
        "AccountId": account["Id"],
        "StageName": "Prospecting",
    }
    (opportunity,) = fake.records["Opportunity"].values()
    assert opportunity["PRM_Deal_Id__c"] == DEAL.deal_uuid
    assert result.account_id == account["Id"]
    assert result.opportunity_id == opportunity["Id"]
    assert result.created is True
    assert result.message == f"Created opportunity {opportunity['Id']} on account {account['Id']}."


def test_account_key_is_the_lowercased_name_when_the_customer_has_no_domain(fake, connect):
    connect().push_deal(deal(customer_name="  Beta / Gamma GmbH ", customer_domain=""), None)

    account_upsert = fake.calls("PATCH")[0]
    assert (
        account_upsert.path
        == f"{API}/sobjects/Account/PRM_Account_Key__c/beta%20%2F%20gamma%20gmbh"
    )
    assert account_upsert.body == {"Name": "  Beta / Gamma GmbH "}
    (account,) = fake.records["Account"].values()
    assert account["PRM_Account_Key__c"] == "beta / gamma gmbh"


def test_a_retried_push_without_link_finds_the_same_records(fake, connect):
    connector = connect()
    first = connector.push_deal(DEAL, None)
    second = connector.push_deal(DEAL, None)

    assert len(fake.records["Account"]) == len(fake.records["Opportunity"]) == 1
    assert (second.account_id, second.opportunity_id) == (first.account_id, first.opportunity_id)
    assert second.created is False
    # Salesforce answered 204 (updated): the ids were read by external id.
    lookups = [r.path for r in fake.calls("GET")]
    assert lookups == [
        f"{API}/sobjects/Account/PRM_Account_Key__c/acme.com",
        f"{API}/sobjects/Opportunity/PRM_Deal_Id__c/{DEAL.deal_uuid}",
    ]


def test_a_linked_push_sends_only_the_fields_the_prm_owns(fake, connect):
    connector = connect()
    created = connector.push_deal(DEAL, None)
    fake.edit("Opportunity", created.opportunity_id, StageName="Negotiation/Review", Amount=9)
    link = Link(account_id=created.account_id, opportunity_id=created.opportunity_id)

    later = deal(status_label="Won", amount=Decimal("1.00"), customer_name="Renamed")
    result = connector.push_deal(later, link)

    update = fake.calls("PATCH")[-1]
    assert update.path == f"{API}/sobjects/Opportunity/{created.opportunity_id}"
    assert update.body == {**OWNED, "PRM_Registration_Status__c": "Won"}
    for crm_owned in ("StageName", "Amount", "Name", "CloseDate", "AccountId", "PRM_Deal_Id__c"):
        assert crm_owned not in update.body
    record = fake.records["Opportunity"][created.opportunity_id]
    assert (record["StageName"], record["Amount"]) == ("Negotiation/Review", 9)
    assert (result.opportunity_id, result.account_id, result.created) == (
        created.opportunity_id,
        created.account_id,
        False,
    )


def test_a_field_salesforce_does_not_know_is_reported_with_its_message(fake, connect, sleeps):
    connector = connect()
    connector.mapping["region"] = "Region__c"

    with pytest.raises(ConnectorError) as raised:
        connector.push_deal(DEAL, None)
    assert raised.value.retry is False
    assert raised.value.status == 400
    assert "No such column 'Region__c' on sobject of type Opportunity" in str(raised.value)
    assert sleeps == []


# --- Pull ----------------------------------------------------------------------------------


def test_pull_returns_changes_after_the_cursor_and_moves_it(fake, connect):
    connector = connect()
    one = connector.push_deal(DEAL, None).opportunity_id
    two = connector.push_deal(deal(deal_uuid="6f1c2d3e-0000-4000-8000-000000000002"), None)
    fake.add("Opportunity", Name="Not from the PRM", StageName="Prospecting")

    first = connector.pull_changes({}, linked=[])
    first_soql = fake.calls("GET", "/query")[-1].query["q"]
    assert first_soql == (
        "SELECT Id, PRM_Deal_Id__c, StageName, NextStep, Description, SystemModstamp "
        "FROM Opportunity WHERE PRM_Deal_Id__c != null ORDER BY SystemModstamp ASC"
    )
    assert [c.opportunity_id for c in first.changes] == [one, two.opportunity_id]
    assert first.changes[0].deal_uuid == DEAL.deal_uuid
    assert first.changes[0].stage == "Prospecting"
    assert first.cursor == {"since": "2024-05-01T10:00:04Z"}  # the second opportunity's upsert

    fake.edit("Opportunity", one, StageName="Closed Won", NextStep="Sign", Description="Done")
    second = connector.pull_changes(first.cursor, linked=[])
    assert (
        "AND SystemModstamp > 2024-05-01T10:00:04Z ORDER BY"
        in fake.calls("GET", "/query")[-1].query["q"]
    )
    (change,) = second.changes
    assert change.opportunity_id == one
    assert (change.stage, change.next_step, change.notes) == ("Closed Won", "Sign", "Done")
    assert change.changed_at == datetime(2024, 5, 1, 10, 0, 6, tzinfo=UTC)
    assert second.cursor == {"since": "2024-05-01T10:00:06Z"}

    third = connector.pull_changes(second.cursor, linked=[])
    assert third.changes == []
    assert third.cursor == second.cursor


def test_pull_follows_the_next_pages(fake, connect):
    fake.page_size = 2
    for number in range(5):
        fake.add("Opportunity", PRM_Deal_Id__c=f"deal-{number}", StageName="Qualification")

    result = connect().pull_changes({}, linked=[])

    assert [c.deal_uuid for c in result.changes] == [f"deal-{n}" for n in range(5)]
    queries = fake.calls("GET", "/query")
    assert len(queries) == 3
    assert [q.path.startswith(f"{API}/query/01gFAKE-") for q in queries] == [False, True, True]


# --- Failures ------------------------------------------------------------------------------


def test_an_expired_token_is_renewed_once_and_the_call_retried(fake, connect, sleeps):
    connector = connect(state={"access_token": "expired", "instance_url": fake.url})

    assert connector.push_deal(DEAL, None).created is True

    assert len(fake.calls("POST", "/services/oauth2/token")) == 1
    assert connector.state["access_token"] == fake.tokens[0]
    first_call, retried = fake.calls("PATCH", "/Account/")
    assert first_call.headers["Authorization"] == "Bearer expired"
    assert retried.headers["Authorization"] == f"Bearer {fake.tokens[0]}"
    assert sleeps == []


def test_a_token_refused_twice_is_not_retried(fake, connect):
    connector = connect()
    connector.test_connection()
    fake.fail(401, times=2)

    with pytest.raises(ConnectorError) as raised:
        connector.push_deal(DEAL, None)
    assert (raised.value.retry, raised.value.status) == (False, 401)
    assert len(fake.calls("POST", "/services/oauth2/token")) == 2  # the first sign-in, one renewal
    assert fake.records["Account"] == {}


def test_429_waits_as_salesforce_asks_then_succeeds(fake, connect, sleeps):
    fake.fail(429, retry_after="2")

    assert connect().push_deal(DEAL, None).created is True
    assert sleeps == [2.0]
    assert len(fake.calls("PATCH", "/Account/")) == 2


def test_503_once_is_retried(fake, connect, sleeps):
    fake.fail(503)

    result = connect().pull_changes({}, linked=[])
    assert result.changes == []
    assert sleeps == [1]


def test_503_every_time_gives_up_after_the_retries_and_stays_retryable(fake, connect, sleeps):
    fake.fail(503, times=10)

    with pytest.raises(ConnectorError) as raised:
        connect().pull_changes({}, linked=[])
    assert (raised.value.retry, raised.value.status) == (True, 503)
    assert len(api_calls(fake)) == RETRIES
    assert sleeps == [1, 2]


def test_400_is_not_retried_and_says_what_salesforce_said(fake, connect, sleeps):
    fake.fail(
        400,
        body=[
            {
                "message": "Close Date: invalid date: 2024-02-30",
                "errorCode": "INVALID_FIELD",
                "fields": ["CloseDate"],
            }
        ],
    )

    with pytest.raises(ConnectorError) as raised:
        connect().push_deal(DEAL, None)
    assert raised.value.retry is False
    assert str(raised.value) == (
        "Salesforce refused saving the account (HTTP 400): "
        "Close Date: invalid date: 2024-02-30 (fields: CloseDate)"
    )
    assert len(api_calls(fake)) == 1
    assert sleeps == []


def test_an_unreachable_salesforce_is_a_retryable_network_error(connect, sleeps):
    with socket.socket() as probe:  # a port we bound, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        url = f"https://127.0.0.1:{probe.getsockname()[1]}"

    with pytest.raises(ConnectorError) as raised:
        connect(login_url=url).test_connection()
    assert raised.value.retry is True
    assert sleeps == [1, 2]


# --- Test connection -----------------------------------------------------------------------


def test_connection_names_the_instance_when_every_field_is_there(fake, connect):
    message = connect().test_connection()

    assert message == f"Signed in to {fake.url}; Opportunity and Account have every mapped field."
    assert [r.path for r in api_calls(fake)] == [
        f"{API}/sobjects/Opportunity/describe",
        f"{API}/sobjects/Account/describe",
    ]


def test_connection_names_each_missing_field_and_how_to_make_it(fake, connect):
    fake.fields["Opportunity"] -= {"PRM_Deal_Id__c", "PRM_Partner__c"}
    fake.fields["Account"] -= {"PRM_Account_Key__c"}

    with pytest.raises(ConnectorError) as raised:
        connect().test_connection()
    assert raised.value.retry is False
    assert str(raised.value) == (
        "Opportunity has no field PRM_Deal_Id__c: create it as an External ID text field; "
        "Opportunity has no field PRM_Partner__c: create it or change the mapping; "
        "Account has no field PRM_Account_Key__c: create it as an External ID text field."
    )
