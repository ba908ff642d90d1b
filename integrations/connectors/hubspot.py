"""HubSpot CRM (docs/integrations.md, "HubSpot"): deals and companies through the v3 CRM API with
HubSpot's own client (hubspot-api-client), signed in with an OAuth app's refresh token; HubSpot's
webhooks (signature v3) tell us when sales change a deal.

The PRM deal id lives in a custom deal property with unique values (`prm_deal_id` by default): a
push reads the deal by it before creating one, and HubSpot itself refuses a second deal with the
same id, so a retried push never duplicates.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import operator
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from hubspot import HubSpot
from hubspot.crm.companies.exceptions import ApiException as CompaniesApiException
from hubspot.crm.deals.exceptions import ApiException as DealsApiException
from hubspot.crm.properties.exceptions import ApiException as PropertiesApiException

from .base import (
    MAX_WAIT_SECONDS,
    PRM_FIELDS,
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

# Each generated API package of the client has its own exception class.
API_ERRORS = (CompaniesApiException, DealsApiException, PropertiesApiException)
DEAL_TO_COMPANY = 5  # HubSpot's association type id (HUBSPOT_DEFINED, deal → company)
RATE_WINDOW_SECONDS = 10.0  # HubSpot's rolling rate-limit window: the wait when it names none
PAGE_SIZE = 100
# NOTE: HubSpot's search stops at 10,000 results per query: a pull ends its run before that and
# the next pull continues from the cursor.
SEARCH_LIMIT = 10_000
SIGNATURE_MAX_AGE_MS = 5 * 60 * 1000
# What HubSpot decodes in the URL before signing it (webhooks, signature v3).
_SIGNED_URL_DECODING = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
COMPANY_PROPERTIES = {"customer_name": "name", "customer_domain": "domain"}
# How to create the default custom properties (for test_connection's message).
CUSTOM_PROPERTY_TYPES = {
    "prm_deal_id": "single-line text, unique values",
    "prm_partner_id": "single-line text",
    "prm_partner": "single-line text",
    "prm_registration_status": "single-line text",
    "prm_lock_expires": "single-line text",
    "prm_registration_url": "single-line text",
}


class HubSpotConnector(Connector):
    kind = "hubspot"
    label = _("HubSpot")
    has_inbound = True
    settings_fields = (
        SettingField(
            "api_base",
            _("API address"),
            required=False,
            default="https://api.hubapi.com",
            help_text=_("Leave as is unless you test against a stand-in for HubSpot."),
        ),
        SettingField("client_id", _("App client id")),
        SettingField(
            "client_secret",
            _("App client secret"),
            secret=True,
            help_text=_("Also the key HubSpot signs its webhooks with."),
        ),
        SettingField(
            "refresh_token",
            _("Refresh token"),
            secret=True,
            help_text=_("From installing the app in your HubSpot account (OAuth)."),
        ),
        SettingField("pipeline", _("Deal pipeline"), required=False, default="default"),
        SettingField(
            "initial_stage",
            _("Stage of new deals"),
            required=False,
            default="appointmentscheduled",
            help_text=_("The internal id of a stage of that pipeline."),
        ),
        SettingField(
            "next_step_property",
            _("Next step property"),
            required=False,
            default="hs_next_step",
        ),
        SettingField("notes_property", _("Notes property"), required=False, default="description"),
    )
    default_mapping = {
        **dict.fromkeys(PRM_FIELDS, ""),
        "deal_id": "prm_deal_id",
        "deal_name": "dealname",
        "amount": "amount",
        "close_date": "closedate",
        "currency": "deal_currency_code",
        "partner_id": "prm_partner_id",
        "partner_name": "prm_partner",
        "registration_status": "prm_registration_status",
        "lock_expires_at": "prm_lock_expires",
        "registration_url": "prm_registration_url",
    }
    default_stages = {
        "appointmentscheduled": "qualification",
        "qualifiedtobuy": "qualification",
        "presentationscheduled": "discovery",
        "decisionmakerboughtin": "proposal",
        "contractsent": "negotiation",
        "closedwon": "closing",
        "closedlost": "closing",
    }

    def __post_init__(self) -> None:
        super().__post_init__()
        self._apis: dict[str, Any] = {}  # built once per token: each build opens a new pool

    # --- Settings --------------------------------------------------------------------------

    def _setting(self, name: str) -> str:
        value = self.settings.get(name) or next(
            field.default for field in self.settings_fields if field.name == name
        )
        return str(value).strip()

    @property
    def _base_url(self) -> str:
        return self._setting("api_base").rstrip("/")

    @property
    def _id_property(self) -> str:
        name = self.mapping.get("deal_id")
        if not name:
            raise ConnectorError(
                gettext(
                    "Map the registration id to a HubSpot deal property: it is how a push finds "
                    "the deal it created."
                ),
                retry=False,
            )
        return name

    # --- Sign-in ---------------------------------------------------------------------------

    def _refresh_token(self) -> str:
        configured = self._setting("refresh_token")
        rotated = self.state.get("refresh_token")
        # A token HubSpot handed back stands in only for the one it replaced: a reconnect wins.
        if rotated and self.state.get("refresh_token_of") == _fingerprint(configured):
            return rotated
        return configured

    def _authenticate(self) -> None:
        """Exchange the refresh token for an access token, kept in `state` for the next run."""
        refresh_token = self._refresh_token()
        try:
            response = self.session.post(
                f"{self._base_url}/oauth/v1/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": self._setting("client_id"),
                    "client_secret": self._setting("client_secret"),
                    "refresh_token": refresh_token,
                },
                timeout=TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise network_error(error, "HubSpot sign-in") from error
        if response.status_code == 429 or response.status_code >= 500:
            raise http_error(response, "HubSpot sign-in")
        if not response.ok:
            # Not AuthExpired: a new token is what failed, asking again would not help.
            raise ConnectorError(
                gettext(
                    "HubSpot refused the sign-in (%(status)s): %(message)s. Check the app's client "
                    "id and secret, or install the app again for a new refresh token."
                )
                % {"status": response.status_code, "message": _message(response.content)},
                retry=False,
                status=response.status_code,
            )
        answer = response.json()
        self.state["access_token"] = answer["access_token"]
        expires_in = answer.get("expires_in")
        if expires_in:
            # A minute early, so a token never runs out between the check and the call.
            self.state["access_token_expires"] = time.time() + float(expires_in) - 60
        if answer.get("refresh_token") and answer["refresh_token"] != refresh_token:
            self.state["refresh_token"] = answer["refresh_token"]
            self.state["refresh_token_of"] = _fingerprint(self._setting("refresh_token"))
        self._apis.clear()

    def _api(self, path: str) -> Any:
        """The client's API object at `path` (e.g. "crm.deals.basic_api"), signed in."""
        expires = self.state.get("access_token_expires")
        if not self.state.get("access_token") or (expires and expires < time.time()):
            self._authenticate()
        if path not in self._apis:
            client = HubSpot(
                access_token=self.state["access_token"],
                host=self._base_url,
                # WARNING: the client's urllib3 retries would multiply ours (with_retries).
                retry=False,
            )
            self._apis[path] = operator.attrgetter(path)(client)
        return self._apis[path]

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        """Run one HubSpot call (`what` says which, in errors) with the in-place retries."""

        def attempt() -> Any:
            try:
                return call()
            except API_ERRORS as error:
                raise _api_error(error, what) from error
            except urllib3.exceptions.HTTPError as error:
                raise ConnectorError(
                    gettext("Could not reach HubSpot to %(what)s: %(error)s")
                    % {"what": what, "error": error},
                    retry=True,
                ) from error

        return self.with_retries(attempt, refresh=self._authenticate)

    # --- The connector's jobs --------------------------------------------------------------

    def test_connection(self) -> str:
        answer = self._call(
            gettext("read the deal properties"),
            lambda: self._api("crm.properties.core_api").get_all(
                "deals", _request_timeout=TIMEOUT_SECONDS
            ),
        )
        existing = {prop.name for prop in answer.results}
        wanted = {name for name in self.mapping.values() if name}
        wanted |= {self._setting("next_step_property"), self._setting("notes_property")}
        missing = sorted(wanted - existing)
        if missing:
            raise ConnectorError(
                " ".join(
                    gettext("HubSpot has no deal property %(name)s: create it (%(how)s).")
                    % {
                        "name": name,
                        "how": CUSTOM_PROPERTY_TYPES.get(name) or gettext("or change the mapping"),
                    }
                    for name in missing
                ),
                retry=False,
            )
        return gettext("Connected to HubSpot; deals have every mapped property (%(count)s).") % {
            "count": len(wanted)
        }

    def push_deal(self, deal: DealRecord, link: Link | None) -> PushResult:
        if link is not None:
            fields = self._update_deal(link.opportunity_id, deal)
            return PushResult(
                account_id=link.account_id,
                opportunity_id=link.opportunity_id,
                created=False,
                message=gettext("Updated HubSpot deal %(deal)s: %(fields)s.")
                % {"deal": link.opportunity_id, "fields": ", ".join(fields)},
            )
        found = self._find_deal(deal.deal_uuid)
        if found is None:
            company_id, company_created = self._find_or_create_company(deal)
            deal_id = self._create_deal(deal, company_id)
            if deal_id is not None:
                company = (
                    gettext("a new company %(id)s")
                    if company_created
                    else gettext("company %(id)s")
                ) % {"id": company_id}
                return PushResult(
                    account_id=company_id,
                    opportunity_id=deal_id,
                    created=True,
                    message=gettext("Created HubSpot deal %(deal)s for %(company)s.")
                    % {"deal": deal_id, "company": company},
                )
            # HubSpot refused a second deal with this id: one was made in the meantime.
            found = self._find_deal(deal.deal_uuid)
            if found is None:
                raise ConnectorError(
                    gettext("HubSpot says the deal exists but could not find it; will try again."),
                    retry=True,
                )
        deal_id, company_id = found
        fields = self._update_deal(deal_id, deal)
        return PushResult(
            account_id=company_id,
            opportunity_id=deal_id,
            created=False,
            message=gettext("HubSpot deal %(deal)s was already there; updated %(fields)s.")
            % {"deal": deal_id, "fields": ", ".join(fields)},
        )

    def pull_changes(self, cursor: dict[str, Any], *, linked: list[Link]) -> PullResult:
        next_step, notes = self._setting("next_step_property"), self._setting("notes_property")
        filters: list[dict[str, str]] = [
            {"propertyName": self._id_property, "operator": "HAS_PROPERTY"}
        ]
        if cursor.get("since_ms") is not None:
            since = str(cursor["since_ms"])
            filters.insert(
                0, {"propertyName": "hs_lastmodifieddate", "operator": "GT", "value": since}
            )
        request: dict[str, Any] = {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
            "properties": ["dealstage", next_step, notes, self._id_property, "hs_lastmodifieddate"],
            "limit": PAGE_SIZE,
        }
        changes: list[RemoteChange] = []
        since_ms = cursor.get("since_ms")
        while True:
            page = self._search("deals", request, gettext("look for changed deals"))
            for result in page.results:
                props = result.properties
                changed_ms = _millis(props.get("hs_lastmodifieddate"))
                if changed_ms is not None:
                    since_ms = changed_ms if since_ms is None else max(since_ms, changed_ms)
                changes.append(
                    RemoteChange(
                        opportunity_id=str(result.id),
                        deal_uuid=props.get(self._id_property) or None,
                        stage=props.get("dealstage") or None,
                        # Asked for and empty: cleared in HubSpot, so "" rather than "not said".
                        next_step=props.get(next_step) or "",
                        notes=props.get(notes) or "",
                        changed_at=_datetime(changed_ms),
                    )
                )
            after = page.paging.next.after if page.paging and page.paging.next else None
            if after is None or (after.isdigit() and int(after) + PAGE_SIZE > SEARCH_LIMIT):
                break
            request["after"] = after
        count = len(changes)
        return PullResult(
            changes=changes,
            cursor={"since_ms": since_ms} if since_ms is not None else {},
            message=ngettext(
                "%(count)s deal changed in HubSpot.", "%(count)s deals changed in HubSpot.", count
            )
            % {"count": count},
        )

    def inbound(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> list[RemoteChange]:
        headers = {name.lower(): value for name, value in headers.items()}
        signature = headers.get("x-hubspot-signature-v3", "")
        timestamp = headers.get("x-hubspot-request-timestamp", "")
        if not signature or not timestamp.isdigit():
            raise InboundRefused("No HubSpot signature (v3) or request timestamp.")
        if abs(time.time() * 1000 - int(timestamp)) > SIGNATURE_MAX_AGE_MS:
            raise InboundRefused("The HubSpot request timestamp is more than 5 minutes off.")
        for encoded, character in _SIGNED_URL_DECODING.items():
            url = url.replace(encoded, character).replace(encoded.lower(), character)
        try:
            signed = method.upper() + url + body.decode("utf-8") + timestamp
        except UnicodeDecodeError:
            raise InboundRefused("The body is not UTF-8.") from None
        expected = base64.b64encode(
            hmac.new(
                self._setting("client_secret").encode(), signed.encode("utf-8"), hashlib.sha256
            ).digest()
        ).decode()
        if not hmac.compare_digest(expected, signature):
            raise InboundRefused("The HubSpot signature does not match.")
        return self._read_events(body)

    # --- HubSpot calls ---------------------------------------------------------------------

    def _search(self, object_type: str, request: dict[str, Any], what: str) -> Any:
        return self._call(
            what,
            lambda: self._api(f"crm.{object_type}.search_api").do_search(
                request, _request_timeout=TIMEOUT_SECONDS
            ),
        )

    def _find_deal(self, deal_uuid: str) -> tuple[str, str] | None:
        """The deal carrying this PRM id and its first company, by a read on the unique property
        (unlike search, which lags a few seconds behind a create, it sees every deal at once)."""
        try:
            found = self._call(
                gettext("look for the deal"),
                lambda: self._api("crm.deals.basic_api").get_by_id(
                    deal_uuid,
                    id_property=self._id_property,
                    associations=["companies"],
                    _request_timeout=TIMEOUT_SECONDS,
                ),
            )
        except ConnectorError as error:
            if error.status == 404:
                return None
            raise
        companies = (found.associations or {}).get("companies")
        company_id = str(companies.results[0].id) if companies and companies.results else ""
        return str(found.id), company_id

    def _find_or_create_company(self, deal: DealRecord) -> tuple[str, bool]:
        """The customer's company (by domain, else by name) or a new one; True when created."""
        lookups = [("domain", deal.customer_domain.strip().lower()), ("name", deal.customer_name)]
        for prop, value in lookups:
            if not value:
                continue
            page = self._search(
                "companies",
                {
                    "filterGroups": [
                        {"filters": [{"propertyName": prop, "operator": "EQ", "value": value}]}
                    ],
                    "properties": ["name", "domain"],
                    "limit": 1,
                },
                gettext("look for the customer's company"),
            )
            if page.results:
                return str(page.results[0].id), False
        values = deal.values()
        properties = {
            name: values[prm_field]
            for prm_field, name in COMPANY_PROPERTIES.items()
            if values[prm_field]
        }
        created = self._call(
            gettext("create the customer's company"),
            lambda: self._api("crm.companies.basic_api").create(
                {"properties": properties}, _request_timeout=TIMEOUT_SECONDS
            ),
        )
        return str(created.id), True

    def _create_deal(self, deal: DealRecord, company_id: str) -> str | None:
        """The new deal's id, or None when HubSpot already has a deal with this PRM id (409)."""
        properties = {name: value for name, value in self.mapped(deal).items() if value}
        properties["pipeline"] = self._setting("pipeline")
        properties["dealstage"] = self._setting("initial_stage")
        request = {
            "properties": properties,
            "associations": [
                {
                    "to": {"id": company_id},
                    "types": [
                        {
                            "associationCategory": "HUBSPOT_DEFINED",
                            "associationTypeId": DEAL_TO_COMPANY,
                        }
                    ],
                }
            ],
        }
        try:
            created = self._call(
                gettext("create the deal"),
                lambda: self._api("crm.deals.basic_api").create(
                    request, _request_timeout=TIMEOUT_SECONDS
                ),
            )
        except ConnectorError as error:
            if error.status == 409:
                return None
            raise
        return str(created.id)

    def _update_deal(self, deal_id: str, deal: DealRecord) -> list[str]:
        """Send the PRM-owned properties only (sales own the rest once the deal exists); return
        their names."""
        # "" clears a property in HubSpot: what the PRM cleared is cleared there too.
        properties = {
            name: "" if value is None else value
            for name, value in self.mapped(deal, only=PRM_OWNED_FIELDS).items()
        }
        self._call(
            gettext("update the deal"),
            lambda: self._api("crm.deals.basic_api").update(
                deal_id, {"properties": properties}, _request_timeout=TIMEOUT_SECONDS
            ),
        )
        return sorted(properties)

    def _read_events(self, body: bytes) -> list[RemoteChange]:
        """One change per deal from HubSpot's list of property-change events."""
        try:
            events = json.loads(body)
        except ValueError:
            raise InboundRefused("The body is not JSON.") from None
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise InboundRefused("HubSpot posts a list of events.")
        fields = {
            "dealstage": "stage",
            self._setting("next_step_property"): "next_step",
            self._setting("notes_property"): "notes",
        }
        by_deal: dict[str, dict[str, Any]] = {}
        latest: dict[str, int] = {}
        for event in sorted(events, key=lambda e: _int(e.get("occurredAt")) or 0):
            if event.get("subscriptionType") != "deal.propertyChange":
                continue
            field = fields.get(event.get("propertyName"))
            if field is None or event.get("objectId") is None:
                continue
            deal_id = str(event["objectId"])
            by_deal.setdefault(deal_id, {})[field] = str(event.get("propertyValue") or "")
            occurred = _int(event.get("occurredAt"))
            if occurred is not None:
                latest[deal_id] = max(latest.get(deal_id, occurred), occurred)
        return [
            RemoteChange(opportunity_id=deal_id, changed_at=_datetime(latest.get(deal_id)), **found)
            for deal_id, found in by_deal.items()
        ]


def _api_error(error: Exception, what: str) -> ConnectorError:
    """Our error for the client's ApiException: 401 → a new token; 429, 5xx → again later."""
    status = getattr(error, "status", None) or 0
    message = _message(getattr(error, "body", None)) or getattr(error, "reason", "") or ""
    if status == 401:
        return AuthExpired(f"HubSpot ({what}): 401 {message}")
    if status == 429:
        headers = getattr(error, "headers", None) or {}
        try:
            retry_after = float(headers.get("Retry-After"))
        except (TypeError, ValueError):
            retry_after = min(RATE_WINDOW_SECONDS, MAX_WAIT_SECONDS)
        return ConnectorError(
            gettext("HubSpot asked us to slow down (429) to %(what)s: %(message)s")
            % {"what": what, "message": message},
            retry=True,
            status=429,
            retry_after=retry_after,
        )
    if status >= 500 or status == 0:
        return ConnectorError(
            gettext("HubSpot failed to %(what)s (%(status)s): %(message)s")
            % {"what": what, "status": status, "message": message},
            retry=True,
            status=status or None,
        )
    return ConnectorError(
        gettext("HubSpot refused to %(what)s (%(status)s): %(message)s")
        % {"what": what, "status": status, "message": message},
        retry=False,
        status=status,
    )


def _message(body: bytes | str | None) -> str:
    """HubSpot's own words from an error body ({"message": ...}), else the start of the body."""
    if not body:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    try:
        answer = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(answer, dict) and answer.get("message"):
        return str(answer["message"])
    return text[:300]


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _millis(value: str | None) -> int | None:
    """hs_lastmodifieddate (ISO 8601, or milliseconds) in milliseconds since the epoch."""
    if not value:
        return None
    if value.isdigit():
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(moment.timestamp() * 1000)


def _datetime(millis: int | None) -> datetime | None:
    return None if millis is None else datetime.fromtimestamp(millis / 1000, tz=UTC)
