"""BottleCRM (the self-hosted Django CRM published on PyPI as `django-crm`): its REST API at
/api/accounts/ and /api/opportunities/ with a personal access token (docs/bottlecrm-notes.md
has the API as measured).

The PRM's attribution travels in BottleCRM custom fields (`prm_*`, created on the first push
when missing: an undefined key would be dropped silently); the deal id field is filterable, so a
retried push finds the opportunity it made. BottleCRM has no next-step field: sales fill the
custom field "Next step (shared with the partner)". Its API lists no changes since a time, so
the pull reads the activity feed (the newest 50 changes) and, when that may have overflowed,
every open linked opportunity. Its webhooks (signed `t=…,v1=HMAC(t.body)`) reach the PRM's
inbound URL when the PRM is on a public https address.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import requests
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .base import (
    PRM_OWNED_FIELDS,
    Connector,
    ConnectorError,
    DealRecord,
    InboundRefused,
    Link,
    PullResult,
    PushResult,
    RemoteChange,
    SettingField,
    http_error,
    network_error,
)

CUSTOM = "cf:"  # a mapping target starting so is a custom field key
FEED_SIZE = 50  # what /api/activities/ returns at most
SIGNATURE_TOLERANCE = 300  # seconds
# Custom fields the connector needs (key → label); created when missing.
CUSTOM_FIELDS = {
    "prm_deal_id": "PRM registration id",
    "prm_partner": "Partner (PRM)",
    "prm_partner_id": "Partner id (PRM)",
    "prm_registration_status": "Registration status (PRM)",
    "prm_lock_expires": "Registration lock expires (PRM)",
    "prm_registration_url": "Registration in the PRM",
    "prm_next_step": "Next step (shared with the partner)",
}
# BottleCRM's currency choices (docs/bottlecrm-notes.md); another currency is left out.
CURRENCIES = {
    *("USD", "EUR", "GBP", "INR", "CAD", "AUD", "JPY", "CNY", "CHF", "SGD", "AED", "BRL"),
    *("MXN", "ZAR"),
}


class BottleCrmConnector(Connector):
    kind = "bottlecrm"
    label = _("BottleCRM")
    has_inbound = True
    settings_fields = (
        SettingField(
            "base_url", _("BottleCRM address"), help_text=_("e.g. https://crm.example.com")
        ),
        SettingField(
            "api_token",
            _("Personal access token"),
            secret=True,
            help_text=_("An admin's token (bcrm_pat_…), from BottleCRM's profile page."),
        ),
        SettingField(
            "webhook_secret",
            _("Webhook signing secret"),
            secret=True,
            required=False,
            help_text=_("From BottleCRM's webhook settings, if it notifies the PRM."),
        ),
        SettingField(
            "initial_stage",
            _("Stage of a new opportunity"),
            required=False,
            default="QUALIFICATION",
        ),
    )
    default_mapping = {
        "deal_name": "name",
        "amount": "amount",
        "currency": "currency",
        "close_date": "closed_on",
        "deal_id": "cf:prm_deal_id",
        "partner_name": "cf:prm_partner",
        "partner_id": "cf:prm_partner_id",
        "registration_status": "cf:prm_registration_status",
        "lock_expires_at": "cf:prm_lock_expires",
        "registration_url": "cf:prm_registration_url",
    }
    default_stages = {
        "PROSPECTING": "qualification",
        "QUALIFICATION": "qualification",
        "PROPOSAL": "proposal",
        "NEGOTIATION": "negotiation",
        "CLOSED_WON": "closing",
        "CLOSED_LOST": "closing",
    }

    # --- HTTP ---------------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.settings["base_url"].rstrip("/") + path

    def _call(self, method: str, path: str, what: str, **kwargs) -> Any:
        headers = {"Authorization": f"Bearer {self.settings['api_token']}"}

        def call():
            try:
                response = self.session.request(
                    method, self._url(path), headers=headers, timeout=15, **kwargs
                )
            except requests.RequestException as error:
                raise network_error(error, what) from error
            # BottleCRM answers 403 to a bad token. Not AuthExpired on a 401 either: a personal
            # access token has nothing to refresh, only a person can replace it.
            if response.status_code in (401, 403):
                raise ConnectorError(
                    gettext("%(what)s: BottleCRM refused the token (%(answer)s).")
                    % {"what": what, "answer": response.text[:200]},
                    retry=False,
                    status=response.status_code,
                )
            if response.status_code == 400:
                raise ConnectorError(
                    f"{what}: {_errors(response)}", retry=False, status=response.status_code
                )
            if not response.ok:
                raise http_error(response, what)
            return response.json() if response.content else {}

        return self.with_retries(call)

    # --- The interface ------------------------------------------------------------------------

    def test_connection(self) -> str:
        self._call("GET", "/api/opportunities/?limit=1", gettext("Reading opportunities"))
        missing = self._missing_fields()
        message = gettext("Connected to %(url)s.") % {"url": self.settings["base_url"]}
        if missing:
            message += " " + gettext("Custom fields to be created on the first push: %(keys)s.") % {
                "keys": ", ".join(missing)
            }
        return message

    def push_deal(self, deal: DealRecord, link: Link | None) -> PushResult:
        self._ensure_fields()
        if link is None:
            found = self._find_opportunity(deal.deal_uuid)
            if found:
                link = Link(
                    account_id=(found.get("account") or {}).get("id", ""),
                    opportunity_id=found["id"],
                )
        if link is not None:
            body = self._body(self.mapped(deal, only=PRM_OWNED_FIELDS))
            self._call(
                "PATCH",
                f"/api/opportunities/{link.opportunity_id}/",
                gettext("Updating the opportunity"),
                json=body,
            )
            return PushResult(
                link.account_id,
                link.opportunity_id,
                created=False,
                message=gettext("Opportunity updated: registration status, lock and partner."),
            )
        account_id = self._account(deal)
        body = self._body(self.mapped(deal))
        body.update(
            account=account_id,
            stage=self.settings.get("initial_stage") or "QUALIFICATION",
            lead_source="partner",
            opportunity_type="NEW_BUSINESS",
            source_ref=f"prm:deal:{deal.deal_uuid}",
        )
        if body.get("currency") not in CURRENCIES:
            body.pop("currency", None)
        answer = self._call(
            "POST", "/api/opportunities/", gettext("Creating the opportunity"), json=body
        )
        return PushResult(
            account_id,
            answer["id"],
            created=True,
            message=gettext("Opportunity created for %(customer)s.")
            % {"customer": deal.customer_name},
        )

    def pull_changes(self, cursor: dict[str, Any], *, linked: list[Link]) -> PullResult:
        feed = self._call(
            "GET",
            f"/api/activities/?entity_type=Opportunity&limit={FEED_SIZE}",
            gettext("Reading the activity feed"),
        ).get("activities", [])
        since = cursor.get("since")
        newer = [row for row in feed if since is None or row["timestamp"] > since]
        newest = max((row["timestamp"] for row in feed), default=since)
        linked_ids = {link.opportunity_id for link in linked}
        if since is None or len(newer) >= FEED_SIZE:
            # First pull, or more changes than the feed holds: look at every open deal.
            ids, how = sorted(linked_ids), gettext("every open opportunity")
        else:
            ids = sorted({row["entity_id"] for row in newer} & linked_ids)
            how = gettext("the activity feed")
        changes = [self._change(self._opportunity(pk)) for pk in ids]
        message = ngettext(
            "%(n)s opportunity read (%(how)s).", "%(n)s opportunities read (%(how)s).", len(ids)
        ) % {"n": len(ids), "how": how}
        return PullResult(changes=changes, cursor={"since": newest}, message=message)

    def inbound(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> list[RemoteChange]:
        secret = self.settings.get("webhook_secret") or ""
        if not secret:
            raise InboundRefused(gettext("No webhook signing secret is set for this connection."))
        verify_signature(secret, headers.get("X-BottleCRM-Signature", ""), body)
        try:
            event = json.loads(body)
            data = event["data"]
        except (ValueError, KeyError, TypeError) as error:
            raise InboundRefused(gettext("The notification is not BottleCRM's JSON.")) from error
        if not str(event.get("event", "")).startswith("deal."):
            return []
        # The payload has the stage but not the custom fields: read the opportunity itself.
        return [self._change(self._opportunity(data["id"]))]

    # --- Helpers ------------------------------------------------------------------------------

    def _body(self, mapped: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for key, value in mapped.items():
            if key.startswith(CUSTOM):
                custom[key[len(CUSTOM) :]] = "" if value is None else str(value)
            else:
                body[key] = value
        if custom:
            body["custom_fields"] = custom
        return body

    def _deal_id_key(self) -> str:
        return self.mapping.get("deal_id", "cf:prm_deal_id").removeprefix(CUSTOM)

    def _find_opportunity(self, deal_uuid: str) -> dict | None:
        answer = self._call(
            "GET",
            "/api/opportunities/",
            gettext("Looking for the opportunity"),
            params={f"cf_{self._deal_id_key()}": deal_uuid, "limit": 2},
        )
        rows = [
            row
            for row in answer.get("opportunities", [])
            if (row.get("custom_fields") or {}).get(self._deal_id_key()) == deal_uuid
        ]
        return rows[0] if rows else None

    def _account(self, deal: DealRecord) -> str:
        answer = self._call(
            "GET",
            "/api/accounts/",
            gettext("Looking for the account"),
            params={"name": deal.customer_name},
        )
        for row in (answer.get("active_accounts") or {}).get("open_accounts", []):
            if row["name"].casefold() == deal.customer_name.casefold():
                return row["id"]
        body = {"name": deal.customer_name}
        if deal.customer_domain:
            body["website"] = f"https://{deal.customer_domain}"
        return self._call("POST", "/api/accounts/", gettext("Creating the account"), json=body)[
            "id"
        ]

    def _opportunity(self, pk: str) -> dict:
        return self._call("GET", f"/api/opportunities/{pk}/", gettext("Reading an opportunity"))[
            "opportunity_obj"
        ]

    def _change(self, row: dict) -> RemoteChange:
        custom = row.get("custom_fields") or {}
        return RemoteChange(
            opportunity_id=row["id"],
            deal_uuid=custom.get(self._deal_id_key()) or None,
            stage=row.get("stage"),
            next_step=custom.get("prm_next_step"),
            notes=row.get("description"),
            changed_at=_parse(row.get("stage_changed_at")),
        )

    def _missing_fields(self) -> list[str]:
        answer = self._call(
            "GET",
            "/api/custom-fields/?target_model=Opportunity",
            gettext("Reading the custom fields"),
        )
        present = {row["key"] for row in answer.get("definitions", [])}
        return [key for key in CUSTOM_FIELDS if key not in present]

    def _ensure_fields(self) -> None:
        if self.state.get("fields_ready"):
            return
        for key in self._missing_fields():
            self._call(
                "POST",
                "/api/custom-fields/",
                gettext("Creating the custom field %(key)s") % {"key": key},
                json={
                    "target_model": "Opportunity",
                    "key": key,
                    "label": CUSTOM_FIELDS[key],
                    "field_type": "text",
                    "is_filterable": key == "prm_deal_id",
                },
            )
        self.state["fields_ready"] = True


def verify_signature(secret: str, header: str, body: bytes, *, now: float | None = None) -> None:
    """BottleCRM's recipe (the same as ours): `t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>`."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError) as error:
        raise InboundRefused(gettext("The notification carries no valid signature.")) from error
    if abs((now or time.time()) - timestamp) > SIGNATURE_TOLERANCE:
        raise InboundRefused(gettext("The notification's signature is too old."))
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), parts.get("v1", "")):
        raise InboundRefused(gettext("The notification's signature does not match."))


def _errors(response: requests.Response) -> str:
    try:
        errors = response.json().get("errors") or response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(errors, dict):
        return "; ".join(
            f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
            for field, messages in errors.items()
        )[:300]
    return str(errors)[:300]


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
