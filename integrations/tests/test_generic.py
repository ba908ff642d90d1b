"""The generic REST / webhook connector against a scripted JSON server on 127.0.0.1: the paths,
headers and bodies it sends, what it reads back (pull pages, signed notifications) and how it
meets limits and refusals. No database; `sleep` is recorded, never slept."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from integrations import signing
from integrations.connectors import connector_class
from integrations.connectors.base import (
    RETRIES,
    ConnectorError,
    DealRecord,
    InboundRefused,
    Link,
    PushResult,
    RemoteChange,
)
from integrations.connectors.generic import GenericConnector

from .local_server import LocalServer

DEAL = DealRecord(
    deal_uuid="6f1c2d3e-0000-4000-8000-000000000001",
    reference="DR-6f1c2d3e",
    status="approved",
    status_label="Approved",
    customer_name="Acme Corp",
    customer_domain="acme.com",
    amount=Decimal("25000.00"),
    currency="EUR",
    close_date=date(2024, 9, 30),
    partner_uuid="9a8b7c6d-0000-4000-8000-000000000002",
    partner_name="Northwind",
    approved_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
    lock_expires_at=datetime(2024, 8, 1, 9, 0, tzinfo=UTC),
    region="EMEA",
    products=("Widgets", "Gadgets"),
    url="https://prm.example/deals/6f1c2d3e",
)
FULL_BODY = {
    "prm_deal_id": DEAL.deal_uuid,
    "name": "Acme Corp (Northwind, DR-6f1c2d3e)",
    "account_name": "Acme Corp",
    "account_domain": "acme.com",
    "amount": "25000.00",
    "currency": "EUR",
    "close_date": "2024-09-30",
    "partner_id": DEAL.partner_uuid,
    "partner_name": "Northwind",
    "registration_status": "Approved",
    "approved_at": "2024-05-01T09:00:00+00:00",
    "lock_expires_at": "2024-08-01T09:00:00+00:00",
    "region": "EMEA",
    "products": "Widgets, Gadgets",
    "registration_url": "https://prm.example/deals/6f1c2d3e",
}
OWNED_BODY = {
    "prm_deal_id": DEAL.deal_uuid,
    "partner_id": DEAL.partner_uuid,
    "partner_name": "Northwind",
    "registration_status": "Approved",
    "approved_at": "2024-05-01T09:00:00+00:00",
    "lock_expires_at": "2024-08-01T09:00:00+00:00",
    "registration_url": "https://prm.example/deals/6f1c2d3e",
}
SECRET = "whsec_generic_test"


# --- A scripted JSON server ------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self):
        return json.loads(self.raw) if self.raw else None


@dataclass
class FakeCrm(LocalServer):
    """Answers (method, path) from a script of (status, JSON body or text, headers); the last
    answer repeats; anything unscripted is a 404. Records every request."""

    script: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    def answer(self, method: str, path: str, *answers: tuple) -> None:
        self.script[(method, path)] = list(answers)

    def start(self) -> FakeCrm:
        return self.serve()

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        self.requests.append(
            Request(handler.command, parts.path, parse_qs(parts.query), dict(handler.headers), raw)
        )
        answers = self.script.get((handler.command, parts.path)) or [(404, "no route")]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        status, payload, headers = (*answer, {})[:3]
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        self.reply(handler, status, data, headers)


@pytest.fixture
def crm():
    server = FakeCrm().start()
    yield server
    server.stop()


@pytest.fixture
def connect(crm, sleeps):
    def connect(mapping=None, **settings) -> GenericConnector:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
        return GenericConnector(
            settings={"base_url": f"{crm.url}/api", **settings},
            mapping=mapping or {},
            session=session,
            sleep=sleeps.append,
        )

    return connect


UPSERT = f"/api/opportunities/by-deal/{DEAL.deal_uuid}"


def test_registry_finds_the_connector():
    assert connector_class("generic") is GenericConnector
    assert GenericConnector.has_inbound is True


# --- Push ------------------------------------------------------------------------------------


def test_first_push_upserts_by_registration_id_with_the_full_mapped_body(crm, connect):
    crm.answer("PUT", UPSERT, (201, {"data": {"id": "opp-7"}, "account_id": "acc-3"}))

    result = connect(auth_header="Bearer abc", id_field="data.id", initial_stage="new").push_deal(
        DEAL, None
    )

    (request,) = crm.requests
    assert (request.method, request.path) == ("PUT", UPSERT)
    assert request.body == {**FULL_BODY, "stage": "new"}
    assert request.headers["Authorization"] == "Bearer abc"
    assert request.headers["Idempotency-Key"] == f"{DEAL.deal_uuid}:approved"
    assert request.headers["Content-Type"] == "application/json"
    assert result == PushResult("acc-3", "opp-7", created=True, message=result.message)
    assert "opp-7" in result.message


def test_a_repeated_push_answered_200_found_the_record_and_sends_no_stage_unless_set(crm, connect):
    crm.answer("PUT", UPSERT, (200, {"id": 42}))

    result = connect().push_deal(DEAL, None)

    (request,) = crm.requests
    assert request.body == FULL_BODY
    assert "Authorization" not in request.headers
    assert (result.opportunity_id, result.account_id, result.created) == ("42", "", False)


def test_dotted_mapping_nests_the_json(crm, connect):
    crm.answer("PUT", UPSERT, (201, {"id": "opp-1"}))
    mapping = {
        "deal_id": "external.prm_id",
        "deal_name": "title",
        "customer_name": "account.name",
        "customer_domain": "account.domain",
        "amount": "value.amount",
        "currency": "value.currency",
        "partner_name": "",  # not sent
    }

    connect(mapping=mapping, stage_field="pipeline.stage", initial_stage="new").push_deal(
        DEAL, None
    )

    assert crm.requests[0].body == {
        "external": {"prm_id": DEAL.deal_uuid},
        "title": "Acme Corp (Northwind, DR-6f1c2d3e)",
        "account": {"name": "Acme Corp", "domain": "acme.com"},
        "value": {"amount": "25000.00", "currency": "EUR"},
        "pipeline": {"stage": "new"},
    }


def test_a_mapping_that_puts_two_values_in_one_place_is_refused_before_any_call(crm, connect):
    connector = connect(mapping={"customer_name": "account", "customer_domain": "account.domain"})

    with pytest.raises(ConnectorError) as raised:
        connector.push_deal(DEAL, None)

    assert raised.value.retry is False
    assert "'account.domain'" in str(raised.value)
    assert crm.requests == []


def test_linked_push_patches_only_the_fields_the_prm_owns(crm, connect):
    crm.answer("PATCH", "/api/opportunities/opp-7", (204, ""))

    result = connect(auth_header="Token t").push_deal(DEAL, Link("acc-3", "opp-7"))

    (request,) = crm.requests
    assert (request.method, request.path) == ("PATCH", "/api/opportunities/opp-7")
    assert request.body == OWNED_BODY
    assert request.headers["Authorization"] == "Token t"
    assert request.headers["Idempotency-Key"] == f"{DEAL.deal_uuid}:approved"
    assert (result.account_id, result.opportunity_id, result.created) == ("acc-3", "opp-7", False)


def test_an_answer_without_the_record_id_is_a_refusal_naming_the_field(crm, connect):
    crm.answer("PUT", UPSERT, (200, {"id": "opp-1"}))

    with pytest.raises(ConnectorError) as raised:
        connect(id_field="data.id").push_deal(DEAL, None)

    assert raised.value.retry is False
    assert "'data.id'" in str(raised.value)


# --- Pull ------------------------------------------------------------------------------------


def item(opportunity_id, updated_at, **fields):
    return {
        "id": opportunity_id,
        "prm_deal_id": f"deal-{opportunity_id}",
        "updated_at": updated_at,
        **fields,
    }


def test_first_pull_asks_without_since_and_the_cursor_is_the_newest_change(crm, connect):
    crm.answer(
        "GET",
        "/api/opportunities/changes",
        (
            200,
            [
                item("o1", "2024-06-01T10:00:00Z", stage="proposal", next_step="Demo", notes="Hot"),
                item("o2", "2024-06-02T08:30:00Z", stage="closing"),
            ],
        ),
    )

    result = connect(auth_header="Bearer abc").pull_changes({}, linked=[])

    (request,) = crm.requests
    assert (request.method, request.path, request.query) == (
        "GET",
        "/api/opportunities/changes",
        {},
    )
    assert request.headers["Authorization"] == "Bearer abc"
    assert result.changes == [
        RemoteChange(
            opportunity_id="o1",
            deal_uuid="deal-o1",
            stage="proposal",
            next_step="Demo",
            notes="Hot",
            changed_at=datetime(2024, 6, 1, 10, 0, tzinfo=UTC),
        ),
        RemoteChange(
            opportunity_id="o2",
            deal_uuid="deal-o2",
            stage="closing",
            changed_at=datetime(2024, 6, 2, 8, 30, tzinfo=UTC),
        ),
    ]
    assert result.cursor == {"since": "2024-06-02T08:30:00Z"}


def test_next_pull_sends_since_and_follows_the_pages(crm, connect):
    page_two = f"{crm.url}/api/opportunities/changes/page2?since=2024-06-02T08%3A30%3A00Z&p=2"
    crm.answer(
        "GET",
        "/api/opportunities/changes",
        (200, {"results": [item("o3", "2024-06-03T09:00:00Z")], "next": page_two}),
    )
    crm.answer(
        "GET",
        "/api/opportunities/changes/page2",
        (200, {"results": [item("o4", "2024-06-04T09:00:00Z", stage="negotiation")], "next": None}),
    )

    result = connect().pull_changes({"since": "2024-06-02T08:30:00Z"}, linked=[])

    first, second = crm.requests
    assert first.query == {"since": ["2024-06-02T08:30:00Z"]}
    assert (second.path, second.query) == (
        "/api/opportunities/changes/page2",
        {"since": ["2024-06-02T08:30:00Z"], "p": ["2"]},
    )
    assert [(c.opportunity_id, c.stage) for c in result.changes] == [
        ("o3", None),
        ("o4", "negotiation"),
    ]
    assert result.cursor == {"since": "2024-06-04T09:00:00Z"}


def test_a_pull_with_nothing_new_keeps_the_cursor(crm, connect):
    crm.answer("GET", "/api/opportunities/changes", (200, {"results": [], "next": None}))

    result = connect().pull_changes({"since": "2024-06-02T08:30:00Z"}, linked=[])

    assert result.changes == []
    assert result.cursor == {"since": "2024-06-02T08:30:00Z"}


def test_pull_reads_the_configured_fields_and_skips_records_without_an_id(crm, connect):
    crm.answer(
        "GET",
        "/api/crm/deltas",
        (
            200,
            [
                {
                    "record": {"key": 17},
                    "ext": {"prm": "deal-17"},
                    "pipeline": {"stage": "Won"},
                    "todo": "Sign",
                    "memo": "Big",
                    "modified": "2024-06-05T12:00:00+02:00",
                },
                {"record": {}, "modified": "2024-06-06T00:00:00Z"},
            ],
        ),
    )
    connector = connect(
        mapping={"deal_id": "ext.prm"},
        changes_path="/crm/deltas",
        id_field="record.key",
        stage_field="pipeline.stage",
        next_step_field="todo",
        notes_field="memo",
        updated_field="modified",
    )

    result = connector.pull_changes({}, linked=[])

    assert crm.requests[0].path == "/api/crm/deltas"
    assert result.changes == [
        RemoteChange(
            opportunity_id="17",
            deal_uuid="deal-17",
            stage="Won",
            next_step="Sign",
            notes="Big",
            changed_at=datetime(2024, 6, 5, 10, 0, tzinfo=UTC),
        )
    ]
    assert "1 records without an id" in result.message


def test_a_next_page_on_another_host_is_not_followed(crm, connect):
    crm.answer(
        "GET",
        "/api/opportunities/changes",
        (200, {"results": [], "next": "http://elsewhere.invalid/steal?page=2"}),
    )

    with pytest.raises(ConnectorError) as raised:
        connect(auth_header="Bearer abc").pull_changes({}, linked=[])

    assert raised.value.retry is False
    assert len(crm.requests) == 1


def test_a_blank_changes_path_turns_the_pull_off(crm, connect):
    result = connect(changes_path="").pull_changes({"since": "x"}, linked=[])

    assert crm.requests == []
    assert result.changes == []
    assert result.cursor == {"since": "x"}
    assert "off" in result.message


# --- Inbound ---------------------------------------------------------------------------------


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    return {"PRM-Signature": signing.sign([secret], body, timestamp)}


def inbound(connector, body: bytes, headers: dict[str, str]):
    return connector.inbound(
        method="POST", url="https://prm.example/integrations/crm/in/x", headers=headers, body=body
    )


def test_a_signed_record_is_read_as_a_change(connect):
    body = json.dumps(item("o9", "2024-06-07T07:00:00Z", stage="proposal", notes="ok")).encode()

    changes = inbound(connect(inbound_secret=SECRET), body, signed(body))

    assert changes == [
        RemoteChange(
            opportunity_id="o9",
            deal_uuid="deal-o9",
            stage="proposal",
            notes="ok",
            changed_at=datetime(2024, 6, 7, 7, 0, tzinfo=UTC),
        )
    ]


def test_a_signed_list_gives_one_change_per_record_and_header_case_does_not_matter(connect):
    body = json.dumps([item("o1", None, stage="discovery"), item("o2", None)]).encode()
    headers = {"prm-signature": signed(body)["PRM-Signature"]}

    changes = inbound(connect(inbound_secret=SECRET), body, headers)

    assert [(c.opportunity_id, c.deal_uuid, c.stage) for c in changes] == [
        ("o1", "deal-o1", "discovery"),
        ("o2", "deal-o2", None),
    ]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("tampered", "No signature matches"),
        ("wrong_secret", "No signature matches"),
        ("old", "outside the tolerance"),
        ("unsigned", "Malformed"),
        ("not_json", "not JSON"),
        ("no_id", "needs its id"),
    ],
)
def test_a_notification_failing_verification_is_refused(connect, case, expected):
    body = json.dumps(item("o1", None)).encode()
    headers = signed(body)
    if case == "tampered":
        body = body.replace(b"o1", b"o2")
    elif case == "wrong_secret":
        headers = signed(body, secret="not-the-secret")
    elif case == "old":
        headers = signed(body, timestamp=int(time.time()) - signing.TOLERANCE_SECONDS - 60)
    elif case == "unsigned":
        headers = {}
    elif case == "not_json":
        body = b"stage=closing"
        headers = signed(body)
    elif case == "no_id":
        body = json.dumps([item("o1", None), {"stage": "closing"}]).encode()
        headers = signed(body)

    with pytest.raises(InboundRefused, match=expected):
        inbound(connect(inbound_secret=SECRET), body, headers)


def test_without_a_secret_every_notification_is_refused(connect):
    body = json.dumps(item("o1", None)).encode()

    with pytest.raises(InboundRefused, match="No notification signing secret"):
        inbound(connect(), body, signed(body))


# --- Limits, failures, refusals --------------------------------------------------------------


def test_a_503_is_retried_in_place_after_a_recorded_wait(crm, connect, sleeps):
    crm.answer("PUT", UPSERT, (503, "busy"), (201, {"id": "opp-1"}))

    result = connect().push_deal(DEAL, None)

    assert result.opportunity_id == "opp-1"
    assert [r.method for r in crm.requests] == ["PUT", "PUT"]
    assert crm.requests[0].body == crm.requests[1].body == FULL_BODY
    assert sleeps == [1]


def test_a_429_waits_as_long_as_retry_after_says(crm, connect, sleeps):
    crm.answer(
        "GET",
        "/api/opportunities/changes",
        (429, "slow down", {"Retry-After": "3"}),
        (200, []),
    )

    connect().pull_changes({}, linked=[])

    assert len(crm.requests) == 2
    assert sleeps == [3.0]


def test_a_crm_down_for_good_fails_retryable_after_the_in_place_tries(crm, connect, sleeps):
    crm.answer("PUT", UPSERT, (502, "bad gateway"))

    with pytest.raises(ConnectorError) as raised:
        connect().push_deal(DEAL, None)

    assert raised.value.retry is True
    assert raised.value.status == 502
    assert len(crm.requests) == RETRIES


def test_a_400_is_a_refusal_with_the_servers_message_not_retried(crm, connect, sleeps):
    crm.answer("PUT", UPSERT, (400, {"error": "close_date must be in the future"}))

    with pytest.raises(ConnectorError) as raised:
        connect().push_deal(DEAL, None)

    assert raised.value.retry is False
    assert raised.value.status == 400
    assert "close_date must be in the future" in str(raised.value)
    assert len(crm.requests) == 1
    assert sleeps == []


def test_a_401_says_the_crm_refused_the_credentials_not_retried(crm, connect, sleeps):
    crm.answer("PATCH", "/api/opportunities/opp-7", (401, "bad token"))

    with pytest.raises(ConnectorError) as raised:
        connect(auth_header="Bearer old").push_deal(DEAL, Link("acc-3", "opp-7"))

    assert raised.value.retry is False
    assert raised.value.status == 401
    assert "refused the credentials" in str(raised.value)
    assert len(crm.requests) == 1
    assert sleeps == []


# --- Test connection -------------------------------------------------------------------------


def test_test_connection_reads_one_opportunity(crm, connect):
    crm.answer("GET", "/api/opportunities", (200, []))

    message = connect(auth_header="Bearer abc").test_connection()

    (request,) = crm.requests
    assert (request.path, request.query) == ("/api/opportunities", {"limit": ["1"]})
    assert request.headers["Authorization"] == "Bearer abc"
    assert message == f"Connected to {crm.url}/api."


def test_test_connection_failure_says_what_the_crm_answered(crm, connect):
    crm.answer("GET", "/api/v2/deals", (403, "This key may not read deals"))

    with pytest.raises(ConnectorError) as raised:
        connect(opportunities_path="/v2/deals").test_connection()

    assert raised.value.retry is False
    assert "HTTP 403" in str(raised.value)
    assert "This key may not read deals" in str(raised.value)


def test_test_connection_refuses_an_address_that_is_not_http(connect):
    with pytest.raises(ConnectorError, match="http"):
        connect(base_url="crm.example.com/api").test_connection()
