"""The BottleCRM connector against a fake BottleCRM on 127.0.0.1 speaking the part of its REST API
the connector uses, as measured in docs/bottlecrm-notes.md (token header, custom fields that drop
undefined keys, accounts, opportunities with a `cf_` filter, the activity feed, writes answered
200, a bad token answered 403): request bodies and headers, the pull's cursor, retries and
refusals, the webhook signature. The last tests run the sync itself (integrations.crm: pull and
the inbound URL) against the fake. Nothing really sleeps."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from dealreg.models import SalesStage
from integrations import connections, crm, relay
from integrations.connectors import connector_class
from integrations.connectors.base import (
    RETRIES,
    ConnectorError,
    InboundRefused,
    Link,
    RemoteChange,
)
from integrations.connectors.bottlecrm import (
    CUSTOM_FIELDS,
    FEED_SIZE,
    SIGNATURE_TOLERANCE,
    BottleCrmConnector,
)
from integrations.models import CrmConnection, CrmLink, CrmSyncLog
from tenancy.context import tenant_context

from .local_server import LocalServer
from .samples import DEAL, DEAL_UUID, OWNED
from .test_relay import approved_deal

TOKEN = "bcrm_pat_test_0123456789"
WEBHOOK_SECRET = "whsec_bottlecrm_test"

# --- A fake BottleCRM -------------------------------------------------------------------------

EPOCH = datetime(2026, 12, 7, tzinfo=UTC)
STAGES = ["PROSPECTING", "QUALIFICATION", "PROPOSAL", "NEGOTIATION", "CLOSED_WON", "CLOSED_LOST"]
CURRENCY_CHOICES = {
    *("USD", "EUR", "GBP", "INR", "CAD", "AUD", "JPY", "CNY", "CHF", "SGD", "AED", "BRL"),
    *("MXN", "ZAR"),
}
LEAD_SOURCES = {
    *("call", "email", "existing customer", "partner", "public relations", "campaign"),
    *("web form", "other"),
}
OPPORTUNITY_FIELDS = {
    *("name", "account", "stage", "opportunity_type", "currency", "amount", "probability"),
    *("closed_on", "lead_source", "source_detail", "source_ref", "description", "is_active"),
}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON or None


@dataclass
class Failure:
    status: int
    path: str
    method: str | None
    retry_after: str | None


@dataclass
class FakeBottleCrm(LocalServer):
    """In-memory accounts, opportunities, custom field definitions and activity feed. Every
    request is recorded (`requests`); `fail(status, times)` makes the next matching requests
    answer `status` (429 with Retry-After when given); 0 drops the connection."""

    token: str = TOKEN
    definitions: dict[str, dict] = field(default_factory=dict)  # key → definition
    accounts: dict[str, dict] = field(default_factory=dict)
    opportunities: dict[str, dict] = field(default_factory=dict)
    activities: list[dict] = field(default_factory=list)  # oldest first
    requests: list[Request] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    clock: int = 0
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- For tests -------------------------------------------------------------------------

    def fail(
        self, status: int, times: int = 1, *, path: str = "/api/", method=None, retry_after=None
    ):
        self.failures += [Failure(status, path, method, retry_after)] * times

    def sent(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.path) for r in self.requests]

    def define(self, *keys: str) -> None:
        for key in keys:
            self.definitions[key] = {
                "key": key,
                "target_model": "Opportunity",
                "field_type": "text",
            }

    def add_opportunity(self, **fields) -> str:
        """An opportunity made in BottleCRM (by sales, or by an earlier push)."""
        with self.lock:
            return self._create_opportunity(
                {"name": f"Deal {len(self.opportunities) + 1}", "stage": "QUALIFICATION", **fields}
            )

    def edit(self, opportunity_id: str, **fields) -> None:
        """What sales do in BottleCRM: a PATCH of the opportunity (custom fields merge)."""
        with self.lock:
            self._update_opportunity(self.opportunities[opportunity_id], fields)

    def start(self) -> FakeBottleCrm:
        return self.serve()

    # --- Records ---------------------------------------------------------------------------

    def _now(self) -> str:
        # BottleCRM's (DRF's) rendering: microseconds and "Z".
        self.clock += 1
        moment = EPOCH + timedelta(seconds=self.clock, microseconds=123456)
        return moment.isoformat().replace("+00:00", "Z")

    def _activity(self, action: str, entity_type: str, record: dict) -> None:
        self.activities.append(
            {
                "id": str(uuid.uuid4()),
                "action": action,
                "action_display": action.title() + "d",
                "entity_type": entity_type,
                "entity_id": record["id"],
                "entity_name": record["name"],
                "description": "",
                "timestamp": self._now(),
                "user": {"email": "admin@bottlecrm.local"},
                "humanized_time": "0 minutes ago",
            }
        )

    def _custom(self, values: dict) -> dict:
        # An undefined key is answered 200 and silently dropped (measured).
        return {key: value for key, value in (values or {}).items() if key in self.definitions}

    def _create_opportunity(self, body: dict) -> str:
        record_id = str(uuid.uuid4())
        account = self.accounts.get(body.get("account") or "")
        now = self._now()
        record = {
            "id": record_id,
            "account": {"id": account["id"], "name": account["name"]} if account else None,
            "pipeline": "pipeline-sales",
            "stage": "PROSPECTING",
            "opportunity_type": None,
            "currency": None,
            "amount": None,
            "probability": 10,
            "closed_on": None,
            "lead_source": None,
            "source_ref": "",
            "description": None,
            "is_active": True,
            "created_at": now,
            "stage_changed_at": now,
            **{k: v for k, v in body.items() if k in OPPORTUNITY_FIELDS and k != "account"},
            "custom_fields": self._custom(body.get("custom_fields")),
        }
        self.opportunities[record_id] = record
        self._activity("CREATE", "Opportunity", record)
        return record_id

    def _update_opportunity(self, record: dict, body: dict) -> None:
        if "stage" in body and body["stage"] != record["stage"]:
            record["stage_changed_at"] = self._now()
        record.update({k: v for k, v in body.items() if k in OPPORTUNITY_FIELDS})
        record["custom_fields"] = {
            **record["custom_fields"],
            **self._custom(body.get("custom_fields")),
        }
        self._activity("UPDATE", "Opportunity", record)

    def _opportunity_errors(self, body: dict, record: dict | None) -> dict:
        errors = {}
        name = body.get("name", record["name"] if record else None)
        if not name:
            errors["name"] = ["This field is required."]
        elif any(
            other["name"].casefold() == name.casefold() and other is not record
            for other in self.opportunities.values()
        ):
            errors["name"] = ["Opportunity already exists with this name"]
        if "stage" in body and body["stage"] not in STAGES:
            errors["stage"] = ["That is not a stage of this deal's pipeline."]
        if body.get("currency") is not None and body["currency"] not in CURRENCY_CHOICES:
            errors["currency"] = [f'"{body["currency"]}" is not a valid choice.']
        if body.get("lead_source") is not None and body["lead_source"] not in LEAD_SOURCES:
            errors["lead_source"] = [f'"{body["lead_source"]}" is not a valid choice.']
        if body.get("account") and body["account"] not in self.accounts:
            errors["account"] = ["Invalid account."]
        return errors

    # --- HTTP ------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        query = parse_qs(url.query)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        body = json.loads(raw) if raw else None
        with self.lock:
            self.requests.append(
                Request(handler.command, url.path, query, dict(handler.headers), body)
            )
            failure = next(
                (
                    f
                    for f in self.failures
                    if url.path.startswith(f.path) and f.method in (None, handler.command)
                ),
                None,
            )
            headers = {}
            if failure is not None:
                self.failures.remove(failure)
                status = failure.status
                answer: Any = {"detail": f"Injected {status}"}
                if failure.retry_after:
                    headers["Retry-After"] = failure.retry_after
            else:
                status, answer = self._route(handler, url.path, query, body)
        if status == 0:
            handler.close_connection = True
            return
        headers = {"Content-Type": "application/json", **headers}
        self.reply(handler, status, json.dumps(answer).encode(), headers)

    def _route(self, handler, path: str, query: dict, body: Any) -> tuple[int, Any]:
        given = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if given != self.token and handler.headers.get("Token") != self.token:
            # Measured: no or an unknown token is a 403, not a 401.
            return 403, {"detail": "Organization context is required. Please login again."}
        method = handler.command
        one = {name: values[0] for name, values in query.items()}
        if path == "/api/custom-fields/" and method == "GET":
            rows = [
                d for d in self.definitions.values() if d["target_model"] == one.get("target_model")
            ]
            return 200, {"definitions": rows, "totals": None}
        if path == "/api/custom-fields/" and method == "POST":
            if body["key"] in self.definitions:
                return 400, {"key": ["A field with this key already exists."]}
            self.definitions[body["key"]] = body
            return 201, {"id": str(uuid.uuid4()), **body}
        if path == "/api/accounts/" and method == "GET":
            wanted = one.get("name", "").casefold()
            rows = [a for a in self.accounts.values() if wanted in a["name"].casefold()]
            return 200, {
                "active_accounts": {"open_accounts": rows, "open_accounts_count": len(rows)},
                "closed_accounts": {"close_accounts": [], "close_accounts_count": 0},
            }
        if path == "/api/accounts/" and method == "POST":
            if any(a["name"].casefold() == body["name"].casefold() for a in self.accounts.values()):
                return 400, {"error": True, "errors": {"name": ["Account already exists"]}}
            account_id = str(uuid.uuid4())
            self.accounts[account_id] = {"id": account_id, **body}
            self._activity("CREATE", "Account", self.accounts[account_id])
            return 200, {
                "error": False,
                "message": "Account Created Successfully",
                "id": account_id,
            }
        if path == "/api/opportunities/" and method == "GET":
            rows = list(self.opportunities.values())
            for name, value in one.items():
                if name.startswith("cf_"):
                    rows = [r for r in rows if r["custom_fields"].get(name[3:]) == value]
            rows = rows[: int(one.get("limit", 10))]
            return 200, {"opportunities_count": len(rows), "offset": 0, "opportunities": rows}
        if path == "/api/opportunities/" and method == "POST":
            errors = self._opportunity_errors(body, None)
            if errors:
                return 400, {"error": True, "errors": errors}
            record_id = self._create_opportunity(body)
            return 200, {
                "error": False,
                "message": "Opportunity Created Successfully",
                "id": record_id,
            }
        if path == "/api/activities/" and method == "GET":
            rows = [
                row
                for row in reversed(self.activities)
                if row["entity_type"] == one.get("entity_type", row["entity_type"])
            ]
            rows = rows[: min(int(one.get("limit", 10)), 50)]
            return 200, {"error": False, "count": len(rows), "activities": rows}
        parts = path.strip("/").split("/")
        if parts[:2] == ["api", "opportunities"] and len(parts) == 3:
            record = self.opportunities.get(parts[2])
            if record is None:
                return 404, {"error": True, "errors": "Opportunity does not exist"}
            if method == "GET":
                return 200, {"opportunity_obj": record, "comments": [], "stage": STAGES}
            if method == "PATCH":
                errors = self._opportunity_errors(body, record)
                if errors:
                    return 400, {"error": True, "errors": errors}
                self._update_opportunity(record, body)
                return 200, {"error": False, "message": "Opportunity Updated Successfully"}
        return 404, {"detail": "Not found."}


@pytest.fixture
def bottlecrm():
    fake = FakeBottleCrm().start()
    yield fake
    fake.stop()


@pytest.fixture
def connect(bottlecrm, sleeps):
    def make(state: dict | None = None, **settings) -> BottleCrmConnector:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment between us and 127.0.0.1
        return BottleCrmConnector(
            settings={
                "base_url": bottlecrm.url,
                "api_token": TOKEN,
                "webhook_secret": WEBHOOK_SECRET,
                "initial_stage": "QUALIFICATION",
                **settings,
            },
            state={} if state is None else state,
            session=session,
            sleep=sleeps.append,
        )

    return make


def test_registry_finds_the_connector():
    assert connector_class("bottlecrm") is BottleCrmConnector
    assert BottleCrmConnector.has_inbound is True


# --- Push ------------------------------------------------------------------------------------


def test_first_push_creates_the_fields_the_account_and_the_opportunity_with_the_mapped_fields(
    bottlecrm, connect
):
    result = connect().push_deal(DEAL, None)

    assert bottlecrm.calls() == [
        ("GET", "/api/custom-fields/"),
        *[("POST", "/api/custom-fields/")] * len(CUSTOM_FIELDS),
        ("GET", "/api/opportunities/"),
        ("GET", "/api/accounts/"),
        ("POST", "/api/accounts/"),
        ("POST", "/api/opportunities/"),
    ]
    assert {r.headers["Authorization"] for r in bottlecrm.requests} == {f"Bearer {TOKEN}"}
    fields = [r.body for r in bottlecrm.sent("POST", "/api/custom-fields/")]
    assert fields == [
        {
            "target_model": "Opportunity",
            "key": key,
            "label": label,
            "field_type": "text",
            "is_filterable": key == "prm_deal_id",
        }
        for key, label in CUSTOM_FIELDS.items()
    ]
    lookup = bottlecrm.sent("GET", "/api/opportunities/")[0]
    assert lookup.query == {"cf_prm_deal_id": [DEAL_UUID], "limit": ["2"]}
    assert bottlecrm.sent("GET", "/api/accounts/")[0].query == {"name": ["Acme Corp"]}
    (account,) = bottlecrm.sent("POST", "/api/accounts/")
    assert account.body == {"name": "Acme Corp", "website": "https://acme.example"}
    (account_id,) = bottlecrm.accounts
    (created,) = bottlecrm.sent("POST", "/api/opportunities/")
    assert created.body == {
        "name": "Acme Corp (Globex, DR-6f1c2d3e)",
        "amount": "12000.00",
        "currency": "EUR",
        "closed_on": "2025-06-30",
        "custom_fields": OWNED,
        "account": account_id,
        "stage": "QUALIFICATION",
        "lead_source": "partner",
        "opportunity_type": "NEW_BUSINESS",
        "source_ref": f"prm:deal:{DEAL_UUID}",
    }
    (opportunity_id,) = bottlecrm.opportunities
    # BottleCRM kept every attribution field (it drops keys it has no definition for).
    assert bottlecrm.opportunities[opportunity_id]["custom_fields"] == OWNED
    assert (result.account_id, result.opportunity_id, result.created) == (
        account_id,
        opportunity_id,
        True,
    )
    assert result.message == "Opportunity created for Acme Corp."


def test_second_push_of_the_same_registration_updates_and_never_creates_a_second(
    bottlecrm, connect
):
    state: dict = {}
    first = connect(state).push_deal(DEAL, None)
    before = len(bottlecrm.requests)

    # The next run (the link was not stored: e.g. the first answer was lost), same state.
    second = connect(state).push_deal(replace(DEAL, status_label="Won"), None)

    assert bottlecrm.calls()[before:] == [
        ("GET", "/api/opportunities/"),
        ("PATCH", f"/api/opportunities/{first.opportunity_id}/"),
    ]
    (patch,) = bottlecrm.sent("PATCH", f"/api/opportunities/{first.opportunity_id}/")
    assert patch.body == {"custom_fields": {**OWNED, "prm_registration_status": "Won"}}
    assert patch.headers["Authorization"] == f"Bearer {TOKEN}"
    assert len(bottlecrm.opportunities) == 1 and len(bottlecrm.accounts) == 1
    assert len(bottlecrm.sent("POST", "/api/opportunities/")) == 1
    assert (second.account_id, second.opportunity_id, second.created) == (
        first.account_id,
        first.opportunity_id,
        False,
    )


def test_linked_push_sends_only_the_prm_fields_and_keeps_what_sales_changed(bottlecrm, connect):
    connector = connect()
    first = connector.push_deal(DEAL, None)
    bottlecrm.edit(
        first.opportunity_id,
        stage="NEGOTIATION",
        amount="99000.00",
        custom_fields={"prm_next_step": "Contract review"},
    )
    before = len(bottlecrm.requests)

    result = connector.push_deal(
        replace(DEAL, status_label="Won", lock_expires_at=None, amount=Decimal("1")),
        Link(first.account_id, first.opportunity_id),
    )

    assert bottlecrm.calls()[before:] == [("PATCH", f"/api/opportunities/{first.opportunity_id}/")]
    patch = bottlecrm.requests[-1]
    assert patch.body == {
        "custom_fields": {**OWNED, "prm_registration_status": "Won", "prm_lock_expires": ""}
    }
    kept = bottlecrm.opportunities[first.opportunity_id]
    assert (kept["stage"], kept["amount"]) == ("NEGOTIATION", "99000.00")
    assert kept["custom_fields"]["prm_next_step"] == "Contract review"
    assert (result.opportunity_id, result.created) == (first.opportunity_id, False)


def test_push_uses_the_account_found_by_name_whatever_its_case(bottlecrm, connect):
    bottlecrm.accounts["acc-1"] = {"id": "acc-1", "name": "ACME CORP"}
    bottlecrm.accounts["acc-2"] = {"id": "acc-2", "name": "Acme Corporation"}

    result = connect().push_deal(DEAL, None)

    assert bottlecrm.sent("POST", "/api/accounts/") == []
    assert bottlecrm.sent("POST", "/api/opportunities/")[0].body["account"] == "acc-1"
    assert result.account_id == "acc-1"


@pytest.mark.parametrize(("currency", "sent"), [("MXN", "MXN"), ("ZAR", "ZAR"), ("NOK", None)])
def test_the_currency_is_sent_when_bottlecrm_knows_it(bottlecrm, connect, currency, sent):
    connect().push_deal(replace(DEAL, currency=currency), None)

    (created,) = bottlecrm.sent("POST", "/api/opportunities/")
    assert created.body.get("currency") == sent
    assert len(bottlecrm.opportunities) == 1


# --- Pull ------------------------------------------------------------------------------------


def pushed(fake: FakeBottleCrm, count: int) -> list[Link]:
    """`count` opportunities the PRM made (custom fields defined, ids set)."""
    fake.define(*CUSTOM_FIELDS)
    return [
        Link("", fake.add_opportunity(custom_fields={"prm_deal_id": f"uuid-{n}"}))
        for n in range(count)
    ]


def feed_requests(fake: FakeBottleCrm) -> list[Request]:
    return fake.sent("GET", "/api/activities/")


def reads(fake: FakeBottleCrm, since: int = 0) -> list[str]:
    return [
        r.path.split("/")[3]
        for r in fake.requests[since:]
        if r.method == "GET" and r.path.count("/") == 4 and r.path.startswith("/api/opportunities/")
    ]


def test_first_pull_reads_every_linked_opportunity_and_the_cursor_is_the_newest_change(
    bottlecrm, connect
):
    links = pushed(bottlecrm, 2)
    bottlecrm.activities.clear()  # the feed (the newest 50) has long forgotten their creation
    bottlecrm.add_opportunity(name="Made in BottleCRM, not by the PRM")
    bottlecrm.edit(
        links[1].opportunity_id,
        stage="PROPOSAL",
        description="Budget approved",
        custom_fields={"prm_next_step": "Send the proposal"},
    )

    result = connect().pull_changes({}, linked=links)

    (feed,) = feed_requests(bottlecrm)
    assert feed.query == {"entity_type": ["Opportunity"], "limit": [str(FEED_SIZE)]}
    assert feed.headers["Authorization"] == f"Bearer {TOKEN}"
    assert reads(bottlecrm) == sorted(link.opportunity_id for link in links)
    second = bottlecrm.opportunities[links[1].opportunity_id]
    changes = {change.opportunity_id: change for change in result.changes}
    assert changes[links[1].opportunity_id] == RemoteChange(
        opportunity_id=links[1].opportunity_id,
        deal_uuid="uuid-1",
        stage="PROPOSAL",
        next_step="Send the proposal",
        notes="Budget approved",
        changed_at=datetime.fromisoformat(second["stage_changed_at"]),
    )
    assert changes[links[0].opportunity_id].stage == "QUALIFICATION"
    assert result.cursor == {"since": bottlecrm.activities[-1]["timestamp"]}


def test_next_pull_reads_only_the_linked_opportunities_changed_after_the_cursor(bottlecrm, connect):
    links = pushed(bottlecrm, 3)
    outsider = bottlecrm.add_opportunity(name="Not the PRM's")
    connector = connect()
    cursor = connector.pull_changes({}, linked=links).cursor
    bottlecrm.edit(outsider, stage="PROPOSAL")
    bottlecrm.edit(
        links[1].opportunity_id,
        stage="NEGOTIATION",
        description="Legal review",
        custom_fields={"prm_next_step": "Contract with the lawyers"},
    )
    before = len(bottlecrm.requests)

    result = connector.pull_changes(cursor, linked=links)

    assert reads(bottlecrm, before) == [links[1].opportunity_id]
    (change,) = result.changes
    assert (change.opportunity_id, change.deal_uuid) == (links[1].opportunity_id, "uuid-1")
    assert (change.stage, change.next_step, change.notes) == (
        "NEGOTIATION",
        "Contract with the lawyers",
        "Legal review",
    )
    assert result.cursor == {"since": bottlecrm.activities[-1]["timestamp"]}
    assert result.cursor["since"] > cursor["since"]

    third = connector.pull_changes(result.cursor, linked=links)
    assert third.changes == [] and third.cursor == result.cursor


def test_a_feed_that_may_have_overflowed_makes_the_pull_read_every_linked_opportunity(
    bottlecrm, connect
):
    links = pushed(bottlecrm, 2)
    connector = connect()
    cursor = connector.pull_changes({}, linked=links).cursor
    others = [bottlecrm.add_opportunity(name=f"Busy {n}") for n in range(FEED_SIZE)]
    bottlecrm.edit(links[0].opportunity_id, stage="PROPOSAL")  # pushed out of the newest 50
    for other in others:
        bottlecrm.edit(other, stage="PROPOSAL")
    before = len(bottlecrm.requests)

    result = connector.pull_changes(cursor, linked=links)

    assert reads(bottlecrm, before) == sorted(link.opportunity_id for link in links)
    stages = {change.opportunity_id: change.stage for change in result.changes}
    assert stages[links[0].opportunity_id] == "PROPOSAL"


# --- Limits, failures, refusals --------------------------------------------------------------


def test_429_waits_as_bottlecrm_asks_then_succeeds(bottlecrm, connect, sleeps):
    bottlecrm.fail(429, path="/api/opportunities/", method="POST", retry_after="3")

    result = connect().push_deal(DEAL, None)

    assert sleeps == [3.0]
    assert len(bottlecrm.sent("POST", "/api/opportunities/")) == 2
    assert result.created is True
    assert len(bottlecrm.opportunities) == 1


def test_a_5xx_once_is_retried_in_place(bottlecrm, connect, sleeps):
    (link,) = pushed(bottlecrm, 1)
    bottlecrm.fail(502, path="/api/activities/")

    result = connect().pull_changes({}, linked=[link])

    assert sleeps == [1]
    assert len(feed_requests(bottlecrm)) == 2
    assert [change.opportunity_id for change in result.changes] == [link.opportunity_id]


def test_a_5xx_every_time_fails_retryable_after_the_tries(bottlecrm, connect, sleeps):
    bottlecrm.fail(503, times=10)

    with pytest.raises(ConnectorError) as raised:
        connect().pull_changes({}, linked=[])

    assert (raised.value.retry, raised.value.status) == (True, 503)
    assert len(bottlecrm.requests) == RETRIES
    assert sleeps == [1, 2]


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_is_a_clear_refusal_not_retried_and_nothing_is_written(
    bottlecrm, connect, sleeps, status
):
    if status == 401:
        bottlecrm.fail(401, times=10)
    # 403: what BottleCRM really answers to a token it does not know (measured).

    with pytest.raises(ConnectorError) as raised:
        connect(api_token="bcrm_pat_revoked").push_deal(DEAL, None)

    assert (raised.value.retry, raised.value.status) == (False, status)
    assert str(raised.value).startswith("Reading the custom fields: BottleCRM refused the token")
    assert len(bottlecrm.requests) == 1
    assert sleeps == []
    assert not bottlecrm.definitions and not bottlecrm.accounts and not bottlecrm.opportunities


def test_a_push_refused_halfway_leaves_no_duplicate_when_tried_again(bottlecrm, connect, sleeps):
    bottlecrm.fail(403, path="/api/opportunities/", method="POST")
    state: dict = {}

    with pytest.raises(ConnectorError) as raised:
        connect(state).push_deal(DEAL, None)
    assert (raised.value.retry, raised.value.status) == (False, 403)
    assert bottlecrm.opportunities == {}

    result = connect(state).push_deal(DEAL, None)

    (account_id,) = bottlecrm.accounts  # made by the first try, found again by the second
    assert len(bottlecrm.sent("POST", "/api/accounts/")) == 1
    assert list(bottlecrm.opportunities) == [result.opportunity_id]
    assert result.account_id == account_id and result.created is True


def test_a_400_says_what_bottlecrm_said_and_is_not_retried(bottlecrm, connect, sleeps):
    bottlecrm.define(*CUSTOM_FIELDS)
    bottlecrm.add_opportunity(name=DEAL.name.upper())

    with pytest.raises(ConnectorError) as raised:
        connect().push_deal(DEAL, None)

    assert (raised.value.retry, raised.value.status) == (False, 400)
    assert str(raised.value) == (
        "Creating the opportunity: name: Opportunity already exists with this name"
    )
    assert len(bottlecrm.sent("POST", "/api/opportunities/")) == 1
    assert sleeps == []


def test_test_connection_reads_one_opportunity_and_names_the_fields_to_create(bottlecrm, connect):
    bottlecrm.define("prm_deal_id", "prm_partner")

    message = connect().test_connection()

    assert bottlecrm.calls() == [("GET", "/api/opportunities/"), ("GET", "/api/custom-fields/")]
    assert bottlecrm.requests[0].query == {"limit": ["1"]}
    assert bottlecrm.requests[1].query == {"target_model": ["Opportunity"]}
    missing = [key for key in CUSTOM_FIELDS if key not in ("prm_deal_id", "prm_partner")]
    assert message == (
        f"Connected to {bottlecrm.url}. Custom fields to be created on the first push: "
        + ", ".join(missing)
        + "."
    )


# --- Inbound (BottleCRM's webhooks) ----------------------------------------------------------

INBOUND_URL = "https://acme.prm.example/integrations/crm/in/3b9d/"


def sign(body: bytes, *, secret: str = WEBHOOK_SECRET, age: int = 0) -> str:
    """BottleCRM's recipe: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>."""
    timestamp = int(time.time()) - age
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def notification(opportunity_id: str, event: str = "deal.updated", stage="PROPOSAL") -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "event": event,
            "created_at": "2026-12-07T00:11:23.578383Z",
            "org_id": "ffafbfb1-0000-4000-8000-000000000001",
            "data": {"id": opportunity_id, "name": "Acme", "stage": stage, "amount": "1.00"},
        }
    ).encode()


def inbound(connector: BottleCrmConnector, body: bytes, headers: dict[str, str]):
    return connector.inbound(method="POST", url=INBOUND_URL, headers=headers, body=body)


def test_a_signed_notification_is_read_as_a_change_of_that_opportunity(bottlecrm, connect):
    (link,) = pushed(bottlecrm, 1)
    bottlecrm.edit(
        link.opportunity_id,
        stage="PROPOSAL",
        description="Budget approved",
        custom_fields={"prm_next_step": "Send the proposal"},
    )
    body = notification(link.opportunity_id)

    changes = inbound(connect(), body, {"X-BottleCRM-Signature": sign(body)})

    record = bottlecrm.opportunities[link.opportunity_id]
    assert changes == [
        RemoteChange(
            opportunity_id=link.opportunity_id,
            deal_uuid="uuid-0",
            stage="PROPOSAL",
            next_step="Send the proposal",
            notes="Budget approved",
            changed_at=datetime.fromisoformat(record["stage_changed_at"]),
        )
    ]
    # The payload has no custom fields: the opportunity itself was read, with the token.
    (read,) = bottlecrm.sent("GET", f"/api/opportunities/{link.opportunity_id}/")
    assert read.headers["Authorization"] == f"Bearer {TOKEN}"


def test_a_signed_notification_of_another_kind_changes_nothing(bottlecrm, connect):
    body = notification("acc-1", event="account.updated")

    assert inbound(connect(), body, {"X-BottleCRM-Signature": sign(body)}) == []
    assert bottlecrm.requests == []


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("tampered", "does not match"),
        ("wrong_secret", "does not match"),
        ("old", "too old"),
        ("unsigned", "no valid signature"),
        ("no_secret_set", "No webhook signing secret"),
    ],
)
def test_a_notification_failing_verification_is_refused_before_any_call(
    bottlecrm, connect, case, expected
):
    body = notification("opp-1")
    headers = {"X-BottleCRM-Signature": sign(body)}
    settings = {}
    if case == "tampered":
        body = notification("opp-1", stage="CLOSED_WON")
    elif case == "wrong_secret":
        headers = {"X-BottleCRM-Signature": sign(body, secret="another-secret")}
    elif case == "old":
        headers = {"X-BottleCRM-Signature": sign(body, age=SIGNATURE_TOLERANCE + 60)}
    elif case == "unsigned":
        headers = {}
    elif case == "no_secret_set":
        settings = {"webhook_secret": ""}

    with pytest.raises(InboundRefused, match=expected):
        inbound(connect(**settings), body, headers)
    assert bottlecrm.requests == []


# --- Through the sync (integrations.crm) -----------------------------------------------------


def connect_crm(world, fake: FakeBottleCrm) -> CrmConnection:
    with tenant_context(world.tenant):
        connection = connections.connection_create(
            actor=world.actor(world.admin), kind="bottlecrm", name="BottleCRM", settings={}
        )
        return connections.connection_update(
            actor=world.actor(world.admin),
            connection=connection,
            name="BottleCRM",
            settings={
                "base_url": fake.url,
                "api_token": fake.token,
                "webhook_secret": WEBHOOK_SECRET,
                "initial_stage": "QUALIFICATION",
            },
            field_mapping={},
            stage_mapping={},
            is_active=True,
            demo_mode=False,
        )


def test_bottlecrm_stages_next_step_and_notes_reach_the_registration_mapped(
    acme, bottlecrm, no_waiting
):
    connection = connect_crm(acme, bottlecrm)
    deal = approved_deal(acme)
    relay.sweep()
    (opportunity_id,) = bottlecrm.opportunities
    link = CrmLink.objects.unscoped().get(connection=connection)
    assert (link.deal_uuid, link.opportunity_id) == (deal.uuid, opportunity_id)
    created = bottlecrm.opportunities[opportunity_id]["custom_fields"]
    assert created["prm_partner"] == acme.partner.name
    assert created["prm_partner_id"] == str(acme.partner.uuid)
    assert crm.pull(connection) == 0  # the first pull: nothing changed since the push
    expected = [
        ("NEGOTIATION", SalesStage.NEGOTIATION),
        ("PROPOSAL", SalesStage.PROPOSAL),
        ("PROSPECTING", SalesStage.QUALIFICATION),
        ("CLOSED_WON", SalesStage.CLOSING),
        ("QUALIFICATION", SalesStage.QUALIFICATION),
        ("CLOSED_LOST", SalesStage.CLOSING),
    ]
    for number, (stage, sales_stage) in enumerate(expected):
        bottlecrm.edit(
            opportunity_id,
            stage=stage,
            description=f"Notes {number}",
            custom_fields={"prm_next_step": f"Step {number}"},
            amount="77777.00",
        )
        connection.refresh_from_db()
        crm.pull(connection)
        deal.refresh_from_db()
        assert (deal.sales_stage, deal.next_step, deal.manager_notes) == (
            sales_stage,
            f"Step {number}",
            f"Notes {number}",
        ), stage
    assert deal.estimated_value != Decimal("77777.00")  # the CRM's amount stays the CRM's
    assert deal.status == "approved"  # the PRM owns the status
    assert not CrmSyncLog.objects.unscoped().filter(connection=connection, ok=False).exists()


def test_a_signed_notification_applies_at_once_and_a_forged_one_is_refused(
    acme, bottlecrm, no_waiting
):
    connection = connect_crm(acme, bottlecrm)
    deal = approved_deal(acme)
    relay.sweep()
    (opportunity_id,) = bottlecrm.opportunities
    bottlecrm.edit(
        opportunity_id, stage="PROPOSAL", custom_fields={"prm_next_step": "Send the proposal"}
    )
    path = reverse("crm_inbound", kwargs={"connection_uuid": connection.uuid})
    body = notification(opportunity_id)
    client = acme.client()

    def post(payload: bytes, **headers):
        return client.post(path, payload, content_type="application/json", **headers)

    refused = [
        post(
            notification(opportunity_id, stage="CLOSED_WON"), HTTP_X_BOTTLECRM_SIGNATURE=sign(body)
        ),
        post(body, HTTP_X_BOTTLECRM_SIGNATURE=sign(body, secret="not-the-secret")),
        post(body),
    ]
    assert [answer.status_code for answer in refused] == [401, 401, 401]
    assert bottlecrm.sent("GET", f"/api/opportunities/{opportunity_id}/") == []
    deal.refresh_from_db()
    assert (deal.sales_stage, deal.next_step) == (SalesStage.QUALIFICATION, "")

    answer = post(body, HTTP_X_BOTTLECRM_SIGNATURE=sign(body))

    assert answer.status_code == 200, answer.content
    assert answer.json() == {"received": 1, "updated": 1}
    deal.refresh_from_db()
    assert (deal.sales_stage, deal.next_step) == (SalesStage.PROPOSAL, "Send the proposal")
    log = CrmSyncLog.objects.unscoped().filter(connection=connection, direction="inbound")
    assert [entry.ok for entry in log.order_by("at", "id")] == [False, False, False, True]
