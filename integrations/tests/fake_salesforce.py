"""A fake Salesforce over HTTPS on 127.0.0.1, for the connector's tests: the subset the connector
speaks (client-credentials token, describe, upsert by external id, PATCH and GET, SOQL query with
paging), records in memory, every request recorded, and failures on demand.

Like the real one it refuses an unknown field, a missing required field on a new Opportunity and
an unknown token (401 INVALID_SESSION_ID); stricter, it refuses the external id inside an
upsert's body (the URL names it).
"""

from __future__ import annotations

import json
import re
import ssl
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import trustme

from .local_server import LocalServer

CLIENT_ID = "fake-client-id"
CLIENT_SECRET = "fake-client-secret"
PREFIXES = {"Account": "001", "Opportunity": "006"}
FIELDS = {
    "Account": {"Id", "Name", "Website", "SystemModstamp", "PRM_Account_Key__c"},
    "Opportunity": {
        "Id",
        "AccountId",
        "Name",
        "Amount",
        "CloseDate",
        "StageName",
        "NextStep",
        "Description",
        "SystemModstamp",
        "PRM_Deal_Id__c",
        "PRM_Partner_Id__c",
        "PRM_Partner__c",
        "PRM_Registration_Status__c",
        "PRM_Lock_Expires__c",
        "PRM_Registration_URL__c",
    },
}
EXTERNAL_IDS = {"PRM_Account_Key__c", "PRM_Deal_Id__c"}
REQUIRED = {"Opportunity": ("Name", "StageName", "CloseDate"), "Account": ("Name",)}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict | None  # JSON, or the token request's form


@dataclass
class Failure:
    status: int
    headers: dict[str, str]
    body: object
    on: str  # answered by the next request whose path contains this


@dataclass
class FakeSalesforce(LocalServer):
    page_size: int = 200
    fields: dict[str, set[str]] = field(
        default_factory=lambda: {k: set(v) for k, v in FIELDS.items()}
    )
    records: dict[str, dict[str, dict]] = field(
        default_factory=lambda: {"Account": {}, "Opportunity": {}}
    )
    requests: list[Request] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)  # issued and still valid
    failures: list[Failure] = field(default_factory=list)
    clock: datetime = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    pages: dict[str, list[dict]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- Scripting ------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        times: int = 1,
        *,
        retry_after: str | None = None,
        body=None,
        on: str = "/services/data/",
    ):
        """The next `times` requests whose path contains `on` (by default the API, not the
        token endpoint) answer `status` with `body` (Salesforce's error list)."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        if body is None:
            body = [{"message": f"Scripted failure {status}", "errorCode": "FAKE"}]
        self.failures += [Failure(status, headers, body, on)] * times

    def add(self, sobject: str, **values) -> dict:
        """A record made on the Salesforce side (a sales rep's edit)."""
        record = {"Id": self._new_id(sobject), **values, "SystemModstamp": self._tick()}
        self.records[sobject][record["Id"]] = record
        return record

    def edit(self, sobject: str, record_id: str, **values) -> dict:
        record = self.records[sobject][record_id]
        record.update(values, SystemModstamp=self._tick())
        return record

    def calls(self, method: str, path_part: str = "") -> list[Request]:
        return [r for r in self.requests if r.method == method and path_part in r.path]

    # --- Server ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> FakeSalesforce:
        authority = trustme.CA()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(context)
        self._ca_dir = tempfile.TemporaryDirectory()
        self.ca_path = str(Path(self._ca_dir.name) / "ca.pem")
        authority.cert_pem.write_to_path(self.ca_path)
        return self.serve(tls=context)

    def stop(self) -> None:
        super().stop()
        self._ca_dir.cleanup()

    # --- Answers --------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        form = handler.headers.get("Content-Type", "").startswith("application/x-www-form")
        if form:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = json.loads(raw) if raw else None
        request = Request(
            handler.command,
            parts.path,
            {k: v[0] for k, v in parse_qs(parts.query).items()},
            dict(handler.headers),
            body,
        )
        with self.lock:
            self.requests.append(request)
            failure = next((f for f in self.failures if f.on in request.path), None)
            if failure is not None:
                self.failures.remove(failure)
                status, headers, answer = failure.status, failure.headers, failure.body
            else:
                headers = {}
                status, answer = self._answer(request)
        payload = json.dumps(answer).encode() if answer is not None else b""
        if payload:
            headers = {**headers, "Content-Type": "application/json"}
        self.reply(handler, status, payload, headers)

    def _answer(self, request: Request) -> tuple[int, object]:
        if request.path == "/services/oauth2/token":
            return self._token(request.body or {})
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return 401, [
                {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
            ]
        match = re.fullmatch(r"/services/data/v[\d.]+/(.+)", request.path)
        route = [unquote(part) for part in match.group(1).split("/")] if match else []
        if route[:1] == ["query"]:
            return self._query(request.query.get("q"), "".join(route[1:2]) or None)
        if route[:1] == ["sobjects"] and route[1:2] and route[1] in self.records:
            sobject, rest = route[1], route[2:]
            if rest == ["describe"] and request.method == "GET":
                described = [
                    {"name": n, "externalId": n in EXTERNAL_IDS}
                    for n in sorted(self.fields[sobject])
                ]
                return 200, {"name": sobject, "fields": described}
            if len(rest) == 2 and request.method == "PATCH":
                return self._upsert(sobject, rest[0], rest[1], request.body)
            if len(rest) == 2 and request.method == "GET":
                record = self._find(sobject, rest[0], rest[1])
                return (200, record) if record else _not_found()
            if len(rest) == 1 and request.method == "PATCH":
                record = self.records[sobject].get(rest[0])
                if record is None:
                    return _not_found()
                return self._write(sobject, record, request.body)
        return _not_found()

    def _token(self, form: dict) -> tuple[int, object]:
        if (form.get("grant_type"), form.get("client_id"), form.get("client_secret")) != (
            "client_credentials",
            CLIENT_ID,
            CLIENT_SECRET,
        ):
            return 400, {
                "error": "invalid_client",
                "error_description": "invalid client credentials",
            }
        token = f"token-{len(self.tokens) + 1}-{len(self.requests)}"
        self.tokens.append(token)
        return 200, {"access_token": token, "instance_url": self.url, "token_type": "Bearer"}

    def _upsert(self, sobject: str, key_field: str, key: str, body: dict) -> tuple[int, object]:
        if key_field not in EXTERNAL_IDS or key_field not in self.fields[sobject]:
            return 404, [
                {
                    "message": f"Provided external ID field does not exist: {key_field}",
                    "errorCode": "NOT_FOUND",
                }
            ]
        if key_field in body:
            return 400, [
                {
                    "message": f"{key_field} is in the URL: not in the body",
                    "errorCode": "INVALID_FIELD",
                    "fields": [key_field],
                }
            ]
        record = self._find(sobject, key_field, key)
        if record is not None:
            return self._write(sobject, record, body)
        missing = [name for name in REQUIRED[sobject] if body.get(name) in (None, "")]
        if missing:
            return 400, [
                {
                    "message": f"Required fields are missing: {missing}",
                    "errorCode": "REQUIRED_FIELD_MISSING",
                    "fields": missing,
                }
            ]
        record = {"Id": self._new_id(sobject), key_field: key}
        status, answer = self._write(sobject, record, body)
        if status != 204:
            return status, answer
        self.records[sobject][record["Id"]] = record
        return 201, {"id": record["Id"], "success": True, "errors": [], "created": True}

    def _write(self, sobject: str, record: dict, body: dict) -> tuple[int, object]:
        unknown = sorted(set(body) - self.fields[sobject])
        if unknown:
            return 400, [
                {
                    "message": f"No such column '{unknown[0]}' on sobject of type {sobject}",
                    "errorCode": "INVALID_FIELD",
                    "fields": unknown,
                }
            ]
        record.update(body, SystemModstamp=self._tick())
        return 204, None

    def _query(self, soql: str | None, page: str | None) -> tuple[int, object]:
        if page is not None:
            rows = self.pages.pop(page, None)
            if rows is None:
                return 400, [
                    {"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}
                ]
        else:
            query = re.fullmatch(
                r"SELECT (?P<columns>.+?) FROM (?P<sobject>\w+)(?: WHERE (?P<where>.+?))?"
                r"(?: ORDER BY (?P<order>\w+) ASC)?",
                soql or "",
            )
            if query is None or query["sobject"] not in self.records:
                return 400, [
                    {"message": f"unexpected query {soql}", "errorCode": "MALFORMED_QUERY"}
                ]
            columns = [c.strip() for c in query["columns"].split(",")]
            unknown = [c for c in columns if c not in self.fields[query["sobject"]]]
            if unknown:
                return 400, [
                    {"message": f"No such column '{unknown[0]}'", "errorCode": "INVALID_FIELD"}
                ]
            rows = [
                {"attributes": {"type": query["sobject"]}, **{c: r.get(c) for c in columns}}
                for r in self.records[query["sobject"]].values()
                if _matches(r, query["where"])
            ]
            if query["order"]:
                rows.sort(key=lambda row: row[query["order"]])
        first, rest = rows[: self.page_size], rows[self.page_size :]
        answer = {"totalSize": len(rows), "done": not rest, "records": first}
        if rest:
            locator = f"01gFAKE-{len(self.requests)}"
            self.pages[locator] = rest
            answer["nextRecordsUrl"] = f"/services/data/v60.0/query/{locator}"
        return 200, answer

    def _find(self, sobject: str, key_field: str, key: str) -> dict | None:
        return next((r for r in self.records[sobject].values() if r.get(key_field) == key), None)

    def _new_id(self, sobject: str) -> str:
        return f"{PREFIXES[sobject]}FAKE{len(self.records[sobject]) + 1:08d}"[:18]

    def _tick(self) -> str:
        """SystemModstamp: one second later on every write."""
        self.clock += timedelta(seconds=1)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _matches(record: dict, where: str | None) -> bool:
    """The WHERE clauses the connector sends: `Field != null`, `Field > 2024-05-01T10:00:00Z`."""
    for condition in (where or "").split(" AND ") if where else []:
        name, operator, value = condition.split(" ", 2)
        if operator == "!=" and value == "null":
            if record.get(name) is None:
                return False
        elif operator == ">":
            stamp = datetime.strptime(record[name], "%Y-%m-%dT%H:%M:%S.000+0000")
            if stamp <= datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ"):
                return False
        else:
            raise ValueError(f"the fake does not know {condition!r}")
    return True


def _not_found() -> tuple[int, object]:
    return 404, [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
