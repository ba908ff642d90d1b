"""Generic REST / webhook: any CRM or middleware (a Zapier-like tool, an in-house system) that
speaks plain JSON over HTTP and offers a few endpoints (docs/integrations.md, "Generic REST /
webhook"):

- `PUT {base_url}{opportunities_path}/by-deal/{deal_uuid}`: create or update the opportunity
  carrying this PRM id (an upsert, so a push retried after a lost answer never duplicates);
  answers 201 (created) or 200 with the record id at `id_field`, optionally "account_id";
- `PATCH {base_url}{opportunities_path}/{id}`: once linked, the fields the PRM owns;
- `GET {base_url}{changes_path}?since=<cursor>` (optional): what changed, as a JSON list or pages
  of {"results": [...], "next": <url or null>};
- notifications POSTed to the connection's inbound URL, signed with the PRM's own recipe
  (`integrations.signing`: PRM-Signature `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`).

The mapping sends each PRM field to a JSON key; a key with dots nests ("account.name" →
{"account": {"name": ...}}). Field settings that read the CRM's answers (`id_field`,
`stage_field`...) may use dots too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlsplit

import requests
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import signing
from .base import (
    PRM_OWNED_FIELDS,
    TIMEOUT_SECONDS,
    AuthExpired,
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

DEFAULTS = {
    "opportunities_path": "/opportunities",
    "changes_path": "/opportunities/changes",
    "id_field": "id",
    "stage_field": "stage",
    "next_step_field": "next_step",
    "notes_field": "notes",
    "updated_field": "updated_at",
    "initial_stage": "",
}
MAX_PAGES = 100  # of one pull; a CRM whose "next" never ends must not hold the worker forever


class GenericConnector(Connector):
    kind = "generic"
    label = _("Generic REST / webhook")
    has_inbound = True
    settings_fields = (
        SettingField("base_url", _("API address"), help_text=_("e.g. https://crm.example.com/api")),
        SettingField(
            "auth_header",
            _("Authorization header"),
            secret=True,
            required=False,
            help_text=_('The whole value sent as Authorization, e.g. "Bearer abc123".'),
        ),
        SettingField(
            "opportunities_path",
            _("Opportunities path"),
            required=False,
            default=DEFAULTS["opportunities_path"],
            help_text=_("PUT <path>/by-deal/<registration id> creates or updates one."),
        ),
        SettingField(
            "changes_path",
            _("Changes path"),
            required=False,
            default=DEFAULTS["changes_path"],
            help_text=_("GET <path>?since=<time> lists what changed. Blank: no pull."),
        ),
        SettingField(
            "inbound_secret",
            _("Notification signing secret"),
            secret=True,
            required=False,
            help_text=_(
                "The secret the CRM signs its notifications with (PRM-Signature, the PRM's "
                "own webhook recipe). Blank: notifications are refused."
            ),
        ),
        SettingField(
            "id_field",
            _("Record id field"),
            required=False,
            default=DEFAULTS["id_field"],
            help_text=_('Where the CRM\'s answers carry the record id; dots nest ("data.id").'),
        ),
        SettingField(
            "stage_field", _("Stage field"), required=False, default=DEFAULTS["stage_field"]
        ),
        SettingField(
            "next_step_field",
            _("Next step field"),
            required=False,
            default=DEFAULTS["next_step_field"],
        ),
        SettingField(
            "notes_field", _("Notes field"), required=False, default=DEFAULTS["notes_field"]
        ),
        SettingField(
            "updated_field",
            _("Last change field"),
            required=False,
            default=DEFAULTS["updated_field"],
            help_text=_("An ISO 8601 time: the pull's cursor."),
        ),
        SettingField(
            "initial_stage",
            _("Stage of a new opportunity"),
            required=False,
            help_text=_("Sent in the stage field on creation. Blank: not sent."),
        ),
    )
    default_mapping = {
        "deal_id": "prm_deal_id",
        "deal_name": "name",
        "customer_name": "account_name",
        "customer_domain": "account_domain",
        "amount": "amount",
        "currency": "currency",
        "close_date": "close_date",
        "partner_id": "partner_id",
        "partner_name": "partner_name",
        "registration_status": "registration_status",
        "approved_at": "approved_at",
        "lock_expires_at": "lock_expires_at",
        "region": "region",
        "products": "products",
        "registration_url": "registration_url",
    }
    # A system built for the PRM most likely speaks the PRM's own stage codes.
    default_stages = {
        stage: stage
        for stage in ("qualification", "discovery", "proposal", "negotiation", "closing")
    }

    def setting(self, name: str) -> str:
        """A setting, or its default when left blank."""
        return str(self.settings.get(name) or DEFAULTS.get(name, "")).strip()

    # --- HTTP ---------------------------------------------------------------------------------

    def _base_url(self) -> str:
        base_url = self.setting("base_url").rstrip("/")
        if urlsplit(base_url).scheme not in ("http", "https") or not urlsplit(base_url).netloc:
            raise ConnectorError(
                gettext("The API address must be an http(s) URL, not %(url)r.") % {"url": base_url},
                retry=False,
            )
        return base_url

    def _url(self, path: str) -> str:
        return self._base_url() + "/" + path.lstrip("/")

    def _call(
        self, method: str, url: str, what: str, *, idempotency_key: str = "", **kwargs: Any
    ) -> requests.Response:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.settings.get("auth_header"):
            headers["Authorization"] = str(self.settings["auth_header"]).strip()
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key

        def call() -> requests.Response:
            try:
                response = self.session.request(
                    method, url, headers=headers, timeout=TIMEOUT_SECONDS, **kwargs
                )
            except requests.RequestException as error:
                raise network_error(error, what) from error
            if response.ok:
                return response
            error = http_error(response, what)
            if isinstance(error, AuthExpired):
                # No token to refresh here: the header is the credential, and only a person can
                # change it.
                raise ConnectorError(
                    gettext(
                        "%(what)s: the CRM refused the credentials (HTTP 401): check the "
                        "Authorization header. %(answer)s"
                    )
                    % {"what": what, "answer": response.text[:200]},
                    retry=False,
                    status=401,
                )
            raise error

        return self.with_retries(call)

    def _json(self, response: requests.Response, what: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ConnectorError(
                gettext("%(what)s: the CRM's answer is not JSON: %(answer)s")
                % {"what": what, "answer": response.text[:200]},
                retry=False,
                status=response.status_code,
            ) from None

    # --- The interface ------------------------------------------------------------------------

    def test_connection(self) -> str:
        self._call(
            "GET",
            self._url(self.setting("opportunities_path")),
            gettext("Reading opportunities"),
            params={"limit": 1},
        )
        return gettext("Connected to %(url)s.") % {"url": self._base_url()}

    def push_deal(self, deal: DealRecord, link: Link | None) -> PushResult:
        opportunities = self._url(self.setting("opportunities_path"))
        idempotency_key = f"{deal.deal_uuid}:{deal.status}"
        if link is not None:
            what = gettext("Updating the opportunity")
            self._call(
                "PATCH",
                f"{opportunities}/{quote(link.opportunity_id, safe='')}",
                what,
                idempotency_key=idempotency_key,
                json=nest(self.mapped(deal, only=PRM_OWNED_FIELDS)),
            )
            return PushResult(
                link.account_id,
                link.opportunity_id,
                created=False,
                message=gettext("Opportunity updated: registration status, lock and partner."),
            )
        fields = self.mapped(deal)
        if self.setting("initial_stage"):
            fields[self.setting("stage_field")] = self.setting("initial_stage")
        what = gettext("Saving the opportunity")
        response = self._call(
            "PUT",
            f"{opportunities}/by-deal/{quote(deal.deal_uuid, safe='')}",
            what,
            idempotency_key=idempotency_key,
            json=nest(fields),
        )
        answer = self._json(response, what)
        opportunity_id = dig(answer, self.setting("id_field"))
        if opportunity_id in (None, ""):
            raise ConnectorError(
                gettext("%(what)s: the CRM's answer has no record id at %(field)r: %(answer)s")
                % {"what": what, "field": self.setting("id_field"), "answer": response.text[:200]},
                retry=False,
                status=response.status_code,
            )
        account_id = answer.get("account_id") if isinstance(answer, dict) else None
        created = response.status_code == 201
        message = (
            gettext("Created opportunity %(opportunity)s for %(customer)s.")
            if created
            else gettext("Found opportunity %(opportunity)s for %(customer)s and updated it.")
        )
        return PushResult(
            account_id="" if account_id is None else str(account_id),
            opportunity_id=str(opportunity_id),
            created=created,
            message=message % {"opportunity": opportunity_id, "customer": deal.customer_name},
        )

    def pull_changes(self, cursor: dict[str, Any], *, linked: list[Link]) -> PullResult:
        # NOTE: a blank changes path turns the pull off; only a missing one takes the default.
        changes_path = str(self.settings.get("changes_path", DEFAULTS["changes_path"]) or "")
        if not changes_path.strip():
            return PullResult(
                [],
                cursor,
                gettext("Pulling is off (no changes path): only notifications come back."),
            )
        what = gettext("Reading the changes")
        since = cursor.get("since")
        url: str | None = self._url(changes_path.strip())
        params: dict[str, Any] | None = {"since": since} if since else None
        items: list[Any] = []
        for _page in range(MAX_PAGES):
            if url is None:
                break
            answer = self._json(self._call("GET", url, what, params=params), what)
            if isinstance(answer, list):
                items.extend(answer)
                url = None
            elif isinstance(answer, dict) and isinstance(answer.get("results"), list):
                items.extend(answer["results"])
                url = self._next_page(answer.get("next"))
            else:
                raise ConnectorError(
                    gettext('%(what)s: the CRM answered neither a list nor {"results": [...]}.')
                    % {"what": what},
                    retry=False,
                )
            params = None  # the next page's URL carries its own query
        changes = [change for change in map(self._change, items) if change is not None]
        skipped = len(items) - len(changes)
        updated_key = self.setting("updated_field")
        seen = [dig(item, updated_key) for item in items if isinstance(item, dict)]
        # ISO 8601 times in one format and zone compare as strings.
        newest = max((str(value) for value in seen if value), default=None)
        if since and (newest is None or str(since) > newest):
            newest = since
        message = gettext("%(count)s changes read.") % {"count": len(changes)}
        if skipped:
            message += " " + gettext("%(count)s records without an id at %(field)r skipped.") % {
                "count": skipped,
                "field": self.setting("id_field"),
            }
        if url is not None:
            message += " " + gettext("Stopped after %(pages)s pages; the rest comes next time.") % {
                "pages": MAX_PAGES
            }
        return PullResult(changes, {"since": newest} if newest else dict(cursor), message)

    def inbound(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> list[RemoteChange]:
        secret = str(self.settings.get("inbound_secret") or "")
        if not secret:
            raise InboundRefused(
                gettext("No notification signing secret is set for this connection.")
            )
        lowered = {name.lower(): value for name, value in headers.items()}
        try:
            signing.verify(secret, lowered.get(signing.SIGNATURE_HEADER.lower(), ""), body)
        except signing.SignatureError as error:
            raise InboundRefused(
                gettext("The notification's %(header)s is not valid: %(reason)s")
                % {"header": signing.SIGNATURE_HEADER, "reason": error}
            ) from None
        try:
            payload = json.loads(body)
        except ValueError:
            raise InboundRefused(gettext("The notification's body is not JSON.")) from None
        records = payload if isinstance(payload, list) else [payload]
        changes = [self._change(record) for record in records]
        if any(change is None for change in changes):
            raise InboundRefused(
                gettext("Every record of the notification needs its id at %(field)r.")
                % {"field": self.setting("id_field")}
            )
        return [change for change in changes if change is not None]

    # --- Helpers ------------------------------------------------------------------------------

    def _next_page(self, next_url: Any) -> str | None:
        """The next page's URL, only on the CRM's own address: the Authorization header goes
        with it."""
        if not next_url:
            return None
        base, page = urlsplit(self._base_url()), urlsplit(str(next_url))
        if (page.scheme, page.netloc) != (base.scheme, base.netloc):
            raise ConnectorError(
                gettext("The CRM's next page %(url)r is not on %(base)s: not followed.")
                % {"url": str(next_url)[:200], "base": self._base_url()},
                retry=False,
            )
        return str(next_url)

    def _change(self, record: Any) -> RemoteChange | None:
        """A record of the pull or of a notification; None when it carries no id."""
        if not isinstance(record, dict):
            return None
        opportunity_id = dig(record, self.setting("id_field"))
        if opportunity_id in (None, ""):
            return None
        deal_key = self.mapping.get("deal_id", "")
        deal_uuid = dig(record, deal_key) if deal_key else None
        return RemoteChange(
            opportunity_id=str(opportunity_id),
            deal_uuid=str(deal_uuid) if deal_uuid else None,
            stage=_text(dig(record, self.setting("stage_field"))),
            next_step=_text(dig(record, self.setting("next_step_field"))),
            notes=_text(dig(record, self.setting("notes_field"))),
            changed_at=_parse_time(dig(record, self.setting("updated_field"))),
        )


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"account.name": "Acme"} → {"account": {"name": "Acme"}}; keys without dots stay."""
    body: dict[str, Any] = {}
    for key, value in flat.items():
        parts = key.split(".")
        if not all(parts):
            raise ConnectorError(
                gettext("%(key)r is not a field name for the mapping.") % {"key": key}, retry=False
            )
        node = body
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise _clash(key)
        if parts[-1] in node:
            raise _clash(key)
        node[parts[-1]] = value
    return body


def dig(record: Any, path: str) -> Any:
    """The value at a dotted path ("data.id") of a JSON object; None when absent."""
    if not path or not isinstance(record, dict):
        return None
    if path in record:  # a key that itself has dots
        return record[path]
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def _clash(key: str) -> ConnectorError:
    return ConnectorError(
        gettext("The mapping sends two values to %(key)r (or inside it).") % {"key": key},
        retry=False,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _parse_time(value: Any) -> datetime | None:
    """An ISO 8601 time (a "Z" suffix too); a time without a zone is taken as UTC."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
