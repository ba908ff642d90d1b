"""A fake HubSpot on 127.0.0.1 for the connector's tests: the OAuth token endpoint and the part of
the v3 CRM API the connector uses (deal properties; companies and deals: search, create, read by
a unique property, update), with in-memory records.

Every request is recorded (`requests`). `fail(status, times)` makes the next CRM requests answer
401, 429 (with Retry-After), 5xx or a HubSpot error body; status 0 drops the connection."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .local_server import LocalServer

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)
DEAL_PROPERTIES = [
    "dealname",
    "amount",
    "closedate",
    "dealstage",
    "pipeline",
    "deal_currency_code",
    "hs_next_step",
    "description",
    "hs_lastmodifieddate",
    "prm_deal_id",
    "prm_partner_id",
    "prm_partner",
    "prm_registration_status",
    "prm_lock_expires",
    "prm_registration_url",
]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON, or the form as a dict, or None


@dataclass
class Failure:
    status: int
    path: str
    method: str | None
    retry_after: str | None
    message: str


@dataclass
class FakeHubSpot(LocalServer):
    client_id: str = "client-1"
    client_secret: str = "secret-1"
    refresh_token: str = "refresh-1"
    page_size: int = 100  # the most results a search answers at once
    rotate_to: str | None = None  # a new refresh token to hand out (and accept from then on)
    deal_properties: list[str] = field(default_factory=lambda: list(DEAL_PROPERTIES))
    companies: dict[str, dict[str, Any]] = field(default_factory=dict)
    deals: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # issued and still valid
    failures: list[Failure] = field(default_factory=list)
    clock: int = 0  # seconds after EPOCH of the last change
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- For tests -------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        path: str = "/crm/",
        method: str | None = None,
        retry_after: str | None = None,
        message: str = "",
    ) -> None:
        """The next `times` requests under `path` (and with `method`) answer `status`; 0 drops
        the connection without an answer."""
        self.failures += [Failure(status, path, method, retry_after, message)] * times

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def add_company(self, **properties: str) -> str:
        return self._create(self.companies, properties)

    def add_deal(self, **properties: str) -> str:
        return self._create(self.deals, properties)

    def edit(self, deal_id: str, **properties: str) -> None:
        """What sales do in HubSpot: change a deal (and its last-modified date)."""
        self._update(self.deals[deal_id], properties)

    def sent(self, method: str, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and r.path == path]

    def start(self) -> FakeHubSpot:
        return self.serve()

    # --- Records ---------------------------------------------------------------------------

    def _now(self) -> str:
        self.clock += 1
        return (EPOCH + timedelta(seconds=self.clock)).isoformat(timespec="milliseconds")[:-6] + "Z"

    def _create(self, records: dict, properties: dict, associations: list | None = None) -> str:
        record_id = str(len(self.companies) + len(self.deals) + 1001)
        now = self._now()
        properties = {**properties, "hs_object_id": record_id, "createdate": now}
        properties["hs_lastmodifieddate"] = now
        records[record_id] = {"id": record_id, "properties": properties, "createdAt": now}
        records[record_id]["companies"] = [a["to"]["id"] for a in associations or []]
        return record_id

    def _update(self, record: dict, properties: dict) -> None:
        record["properties"].update(properties, hs_lastmodifieddate=self._now())

    def _public(self, record: dict, names: list[str] | None = None) -> dict:
        props = record["properties"]
        shown = ["hs_object_id", "createdate", "hs_lastmodifieddate", *(names or props)]
        return {
            "id": record["id"],
            "properties": {name: props.get(name) for name in shown},
            "createdAt": record["createdAt"],
            "updatedAt": props["hs_lastmodifieddate"],
            "archived": False,
        }

    def _search(self, records: dict, request: dict) -> dict:
        def matches(record: dict, rule: dict) -> bool:
            value = record["properties"].get(rule["propertyName"])
            if rule["operator"] == "HAS_PROPERTY":
                return value not in (None, "")
            if rule["operator"] == "EQ":
                return str(value).lower() == str(rule["value"]).lower()
            if rule["operator"] == "GT":
                return value is not None and _number(value) > _number(rule["value"])
            raise ValueError(rule["operator"])

        groups = request.get("filterGroups") or [{"filters": []}]
        found = [
            r
            for r in records.values()
            if any(all(matches(r, f) for f in g["filters"]) for g in groups)
        ]
        for sort in reversed(request.get("sorts", [])):
            found.sort(
                key=lambda r, s=sort: _number(r["properties"].get(s["propertyName"]) or 0),
                reverse=sort.get("direction") == "DESCENDING",
            )
        start = int(request.get("after") or 0)
        limit = min(int(request.get("limit") or 10), self.page_size)
        answer: dict[str, Any] = {
            "total": len(found),
            "results": [self._public(r, request.get("properties")) for r in found[start:][:limit]],
        }
        if start + limit < len(found):
            answer["paging"] = {"next": {"after": str(start + limit)}}
        return answer

    # --- HTTP ------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        if handler.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = json.loads(raw) if raw else None
        with self.lock:
            self.requests.append(
                Request(handler.command, url.path, parse_qs(url.query), dict(handler.headers), body)
            )
            failure = next(
                (
                    f
                    for f in self.failures
                    if url.path.startswith(f.path) and f.method in (None, handler.command)
                ),
                None,
            )
            if failure is not None:
                self.failures.remove(failure)
                status, answer, headers = self._failure(failure)
            else:
                status, answer = self._route(handler, url.path, parse_qs(url.query), body)
                headers = {}
        if status == 0:
            handler.close_connection = True
            return
        headers = {"Content-Type": "application/json", **headers}
        self.reply(handler, status, json.dumps(answer).encode(), headers)

    def _failure(self, failure: Failure) -> tuple[int, dict, dict]:
        headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
        message, category = {
            401: ("Authentication credentials not found.", "INVALID_AUTHENTICATION"),
            429: ("You have reached your ten_secondly_rolling limit.", "RATE_LIMIT"),
        }.get(failure.status) or (
            ("Internal error", "INTERNAL_ERROR")
            if failure.status >= 500
            else ("Invalid input", "VALIDATION_ERROR")
        )
        return failure.status, _error(failure.message or message, category), headers

    def _route(self, handler, path: str, query: dict, body: Any) -> tuple[int, Any]:
        if path == "/oauth/v1/token":
            return self._token(body)
        token = handler.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, _error(
                "The OAuth token used to make this call expired.", "EXPIRED_AUTHENTICATION"
            )
        parts = path.strip("/").split("/")  # crm v3 objects <type> [<id> | search]
        if path == "/crm/v3/properties/deals":
            results = [
                {
                    "name": n,
                    "label": n,
                    "type": "string",
                    "fieldType": "text",
                    "groupName": "dealinformation",
                    "description": "",
                    "options": [],
                }
                for n in self.deal_properties
            ]
            return 200, {"results": results}
        if parts[:3] != ["crm", "v3", "objects"] or parts[3:4] not in (["companies"], ["deals"]):
            return 404, _error(f"No route for {path}", "OBJECT_NOT_FOUND")
        records = self.companies if parts[3] == "companies" else self.deals
        method = handler.command
        if len(parts) == 5 and parts[4] == "search" and method == "POST":
            return 200, self._search(records, body)
        if len(parts) == 4 and method == "POST":
            return self._create_answer(records, body)
        record = self._find(records, parts[4], query.get("idProperty", [None])[0])
        if record is None:
            return 404, _error("Object not found.", "OBJECT_NOT_FOUND")
        if method == "PATCH":
            self._update(record, body["properties"])
        answer = self._public(record)
        if "companies" in query.get("associations", []):
            links = [{"id": c, "type": "deal_to_company"} for c in record["companies"]]
            answer["associations"] = {"companies": {"results": links}}
        return 200, answer

    def _token(self, form: dict) -> tuple[int, dict]:
        expected = (self.client_id, self.client_secret, self.refresh_token)
        given = (form.get("client_id"), form.get("client_secret"), form.get("refresh_token"))
        if form.get("grant_type") != "refresh_token" or given != expected:
            return 400, {
                "status": "BAD_REFRESH_TOKEN",
                "message": "missing or unknown refresh token",
            }
        token = f"token-{len(self.sent('POST', '/oauth/v1/token'))}"
        self.tokens.append(token)
        if self.rotate_to:
            self.refresh_token, self.rotate_to = self.rotate_to, None
        return 200, {"access_token": token, "refresh_token": self.refresh_token, "expires_in": 1800}

    def _create_answer(self, records: dict, body: dict) -> tuple[int, dict]:
        unique = body["properties"].get("prm_deal_id")
        if unique and any(
            d["properties"].get("prm_deal_id") == unique for d in self.deals.values()
        ):
            return 409, _error(f"A deal already has prm_deal_id {unique}", "CONFLICT")
        record_id = self._create(records, body["properties"], body.get("associations"))
        return 201, self._public(records[record_id])

    @staticmethod
    def _find(records: dict, key: str, id_property: str | None) -> dict | None:
        if id_property is None:
            return records.get(key)
        return next((r for r in records.values() if r["properties"].get(id_property) == key), None)


def _error(message: str, category: str) -> dict:
    return {"status": "error", "message": message, "category": category, "correlationId": "c0ffee"}


def _number(value: Any) -> float:
    """Dates compare as milliseconds, as HubSpot's filters take them."""
    text = str(value)
    if "T" in text:
        return datetime.fromisoformat(text).timestamp() * 1000
    return float(text)
