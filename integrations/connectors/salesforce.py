"""Salesforce: deal registrations become Opportunities (with their Account), through the REST API
with simple-salesforce (docs/integrations.md, "Salesforce").

Sign-in is OAuth 2.0 client credentials (a Connected App with the flow enabled and a run-as
user). We ask for the token ourselves and keep it in `state`: simple-salesforce's own login would
sign in again on every run and refresh behind our back, outside the retry rules of
`Connector.with_retries`. Records are found again by external ids (the PRM's deal uuid on the
Opportunity, a customer key on the Account), so a push retried after a lost answer never
duplicates.

Salesforce's outbound messages are SOAP and need a public endpoint: we pull instead, by
SystemModstamp.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_salesforce import Salesforce

from .base import (
    PRM_OWNED_FIELDS,
    TIMEOUT_SECONDS,
    AuthExpired,
    Connector,
    ConnectorError,
    DealRecord,
    Link,
    PullResult,
    PushResult,
    RemoteChange,
    SettingField,
    network_error,
)

DEFAULTS = {
    "login_url": "https://login.salesforce.com",
    "api_version": "60.0",
    "initial_stage": "Prospecting",
    "account_key_field": "PRM_Account_Key__c",
    "stage_field": "StageName",
    "next_step_field": "NextStep",
    "notes_field": "Description",
}
MODSTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%f%z"  # how Salesforce writes SystemModstamp
SOQL_DATETIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # a SOQL dateTime literal (UTC)
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class _Refused(Exception):
    """Salesforce answered 3xx/4xx/5xx. Carries the whole response: simple-salesforce's own
    exceptions drop the headers, and we need Retry-After."""

    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.response = response


class _Transport:
    """What simple-salesforce gets as its `session`: our session, with a timeout (it sets none)
    and failed answers raised as `_Refused` before it turns them into its own exceptions."""

    def __init__(self, session: requests.Session):
        self.session = session
        self.proxies = session.proxies

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        response = self.session.request(method, url, **kwargs)
        if response.status_code >= 300:
            raise _Refused(response)
        return response


def salesforce_error(response: requests.Response, what: str) -> ConnectorError:
    """A ConnectorError in words from Salesforce's error list ([{"message", "errorCode",
    "fields"}]): 401 → AuthExpired, 429 and 5xx retryable, the rest not."""
    status = response.status_code
    try:
        errors = response.json()
    except ValueError:
        errors = None
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        parts = []
        for error in errors:
            part = str(error.get("message") or error.get("errorCode") or "")
            if error.get("fields"):
                part += " " + _("(fields: %(fields)s)") % {"fields": ", ".join(error["fields"])}
            parts.append(part)
        detail = "; ".join(parts)
    else:
        detail = response.text[:300]
    if status == 401:
        return AuthExpired(_("Salesforce refused the token while %(what)s.") % {"what": what})
    if status == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
        message = _("Salesforce asked us to slow down (HTTP 429) while %(what)s.")
        return ConnectorError(
            message % {"what": what}, retry=True, status=status, retry_after=retry_after
        )
    if status >= 500:
        message = _("Salesforce failed (HTTP %(status)s) while %(what)s: %(detail)s")
        return ConnectorError(
            message % {"status": status, "what": what, "detail": detail}, retry=True, status=status
        )
    message = _("Salesforce refused %(what)s (HTTP %(status)s): %(detail)s")
    return ConnectorError(
        message % {"what": what, "status": status, "detail": detail}, retry=False, status=status
    )


class SalesforceConnector(Connector):
    kind = "salesforce"
    label = gettext_lazy("Salesforce")
    settings_fields = (
        SettingField(
            "login_url",
            gettext_lazy("Login URL"),
            default=DEFAULTS["login_url"],
            help_text=gettext_lazy(
                "Your My Domain URL (https://acme.my.salesforce.com) or "
                "https://test.salesforce.com for a sandbox."
            ),
        ),
        SettingField(
            "client_id",
            gettext_lazy("Consumer key"),
            help_text=gettext_lazy(
                "Of a Connected App with the client credentials flow enabled and a run-as user."
            ),
        ),
        SettingField("client_secret", gettext_lazy("Consumer secret"), secret=True),
        SettingField(
            "api_version",
            gettext_lazy("API version"),
            required=False,
            default=DEFAULTS["api_version"],
        ),
        SettingField(
            "initial_stage",
            gettext_lazy("Stage of a new opportunity"),
            required=False,
            default=DEFAULTS["initial_stage"],
        ),
        SettingField(
            "account_key_field",
            gettext_lazy("Account external id field"),
            required=False,
            default=DEFAULTS["account_key_field"],
            help_text=gettext_lazy(
                "An External ID text field on Account: holds the customer's domain (or name), "
                "so one customer is one account."
            ),
        ),
        SettingField(
            "stage_field",
            gettext_lazy("Opportunity stage field"),
            required=False,
            default=DEFAULTS["stage_field"],
        ),
        SettingField(
            "next_step_field",
            gettext_lazy("Opportunity next step field"),
            required=False,
            default=DEFAULTS["next_step_field"],
        ),
        SettingField(
            "notes_field",
            gettext_lazy("Opportunity notes field"),
            required=False,
            default=DEFAULTS["notes_field"],
        ),
    )
    default_mapping = {
        "deal_id": "PRM_Deal_Id__c",
        "deal_name": "Name",
        "customer_name": "",  # on the Account (Name), not the Opportunity
        "customer_domain": "",  # on the Account (Website)
        "amount": "Amount",
        "currency": "",
        "close_date": "CloseDate",
        "partner_id": "PRM_Partner_Id__c",
        "partner_name": "PRM_Partner__c",
        "registration_status": "PRM_Registration_Status__c",
        "approved_at": "",
        "lock_expires_at": "PRM_Lock_Expires__c",
        "region": "",
        "products": "",
        "registration_url": "PRM_Registration_URL__c",
    }
    default_stages = {
        "Prospecting": "qualification",
        "Qualification": "qualification",
        "Needs Analysis": "discovery",
        "Value Proposition": "discovery",
        "Id. Decision Makers": "discovery",
        "Perception Analysis": "discovery",
        "Proposal/Price Quote": "proposal",
        "Negotiation/Review": "negotiation",
        "Closed Won": "closing",
        "Closed Lost": "closing",
    }
    has_inbound = False

    def setting(self, name: str) -> str:
        """A setting, or its default when left blank."""
        return str(self.settings.get(name) or DEFAULTS.get(name, "")).strip()

    @property
    def deal_id_field(self) -> str:
        """The Opportunity's external id: without it a retried push would duplicate."""
        field = self.mapping.get("deal_id", "")
        if not field:
            raise ConnectorError(
                _("The mapping sends the registration id nowhere: Salesforce needs it."),
                retry=False,
            )
        return field

    # --- Sign-in --------------------------------------------------------------------------

    def _authenticate(self) -> None:
        """Get a new token (client credentials) and keep it in `state` for the next run."""
        url = self.setting("login_url").rstrip("/") + "/services/oauth2/token"
        data = {
            "grant_type": "client_credentials",
            "client_id": self.settings.get("client_id", ""),
            "client_secret": self.settings.get("client_secret", ""),
        }
        what = _("signing in")
        try:
            response = self.session.post(url, data=data, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as error:
            raise network_error(error, what) from error
        if response.status_code != 200:
            try:
                answer = response.json()
                detail = f"{answer.get('error_description') or ''} ({answer.get('error')})"
            except (ValueError, AttributeError):
                detail = response.text[:300]
            # Never AuthExpired: a refused sign-in must not loop through another sign-in.
            retry = response.status_code == 429 or response.status_code >= 500
            message = _("Salesforce refused the sign-in (HTTP %(status)s): %(detail)s")
            raise ConnectorError(
                message % {"status": response.status_code, "detail": detail},
                retry=retry,
                status=response.status_code,
            )
        answer = response.json()
        self.state["access_token"] = answer["access_token"]
        self.state["instance_url"] = answer["instance_url"]

    def _client(self) -> Salesforce:
        if not self.state.get("access_token"):
            self._authenticate()
        return Salesforce(
            instance_url=self.state["instance_url"],
            session_id=self.state["access_token"],
            session=_Transport(self.session),  # type: ignore[arg-type]
            version=self.setting("api_version"),
            object_pairs_hook=dict,
        )

    def _run(self, what: str, action):
        """`action(client)` with the base class's retries: a new token once on 401, waits on
        429 / 5xx / network errors."""

        def call():
            try:
                return action(self._client())
            except _Refused as refused:
                raise salesforce_error(refused.response, what) from None
            except requests.RequestException as error:
                raise network_error(error, what) from error

        return self.with_retries(call, refresh=self._authenticate)

    # --- The connector's jobs -------------------------------------------------------------

    def test_connection(self) -> str:
        opportunity = self._run(_("reading Opportunity"), lambda sf: sf.Opportunity.describe())
        account = self._run(_("reading Account"), lambda sf: sf.Account.describe())
        external_ids = {
            ("Opportunity", self.deal_id_field),
            ("Account", self.setting("account_key_field")),
        }
        wanted = {
            "Opportunity": {
                *(field for field in self.mapping.values() if field),
                self.setting("stage_field"),
                self.setting("next_step_field"),
                self.setting("notes_field"),
                "AccountId",
            },
            "Account": {self.setting("account_key_field"), "Name", "Website"},
        }
        problems = []
        for sobject, description in (("Opportunity", opportunity), ("Account", account)):
            fields = {field["name"]: field for field in description.get("fields", [])}
            for name in sorted(wanted[sobject]):
                external = (sobject, name) in external_ids
                if name not in fields:
                    how = (
                        _("create it as an External ID text field")
                        if external
                        else _("create it or change the mapping")
                    )
                    problems.append(
                        _("%(sobject)s has no field %(field)s: %(how)s")
                        % {"sobject": sobject, "field": name, "how": how}
                    )
                elif external and not fields[name].get("externalId"):
                    problems.append(
                        _("%(sobject)s field %(field)s is not an External ID: tick External ID")
                        % {"sobject": sobject, "field": name}
                    )
        if problems:
            raise ConnectorError("; ".join(problems) + ".", retry=False)
        return _("Signed in to %(url)s; Opportunity and Account have every mapped field.") % {
            "url": self.state["instance_url"]
        }

    def push_deal(self, deal: DealRecord, link: Link | None) -> PushResult:
        if link is not None:
            return self._push_owned_fields(deal, link)
        account_id = self._upsert(
            "Account",
            self.setting("account_key_field"),
            self.account_key(deal),
            {
                "Name": deal.customer_name,
                **({"Website": deal.customer_domain} if deal.customer_domain else {}),
            },
            what=_("saving the account"),
        )[0]
        fields = {
            key: value for key, value in self.mapped(deal).items() if key != self.deal_id_field
        }
        fields["AccountId"] = account_id
        fields[self.setting("stage_field")] = self.setting("initial_stage")
        opportunity_id, created = self._upsert(
            "Opportunity",
            self.deal_id_field,
            deal.deal_uuid,
            fields,
            what=_("saving the opportunity"),
        )
        message = (
            _("Created opportunity %(opportunity)s on account %(account)s.")
            if created
            else _("Found opportunity %(opportunity)s (account %(account)s) and updated it.")
        )
        return PushResult(
            account_id=account_id,
            opportunity_id=opportunity_id,
            created=created,
            message=message % {"opportunity": opportunity_id, "account": account_id},
        )

    def pull_changes(self, cursor: dict[str, Any], *, linked: list[Link]) -> PullResult:
        key = self.deal_id_field
        stage, next_step, notes = (
            self.setting("stage_field"),
            self.setting("next_step_field"),
            self.setting("notes_field"),
        )
        names = dict.fromkeys(["Id", key, stage, next_step, notes, "SystemModstamp"])
        columns = ", ".join(api_name(name) for name in names)
        # Safe: every name passed api_name(), the time is formatted by us.
        soql = f"SELECT {columns} FROM Opportunity WHERE {key} != null"  # noqa: S608
        since = cursor.get("since")
        if since:
            literal = parse_modstamp(since).strftime(SOQL_DATETIME_FORMAT)
            soql += f" AND SystemModstamp > {literal}"
        soql += " ORDER BY SystemModstamp ASC"
        rows = self._run(_("reading changed opportunities"), lambda sf: sf.query_all(soql))
        changes = []
        latest = parse_modstamp(since) if since else None
        for row in rows["records"]:
            changed_at = parse_modstamp(row["SystemModstamp"])
            latest = max(latest, changed_at) if latest else changed_at
            changes.append(
                RemoteChange(
                    opportunity_id=row["Id"],
                    deal_uuid=row.get(key),
                    stage=row.get(stage),
                    next_step=row.get(next_step),
                    notes=row.get(notes),
                    changed_at=changed_at,
                )
            )
        new_cursor = {"since": latest.strftime(SOQL_DATETIME_FORMAT)} if latest else {}
        message = _("%(count)s opportunities changed in Salesforce.") % {"count": len(changes)}
        return PullResult(changes=changes, cursor=new_cursor, message=message)

    # --- Helpers --------------------------------------------------------------------------

    @staticmethod
    def account_key(deal: DealRecord) -> str:
        """One customer is one Account: its domain, else its name (lowercased)."""
        return (deal.customer_domain or deal.customer_name).strip().lower()

    def _upsert(
        self, sobject: str, key_field: str, key: str, fields: dict[str, Any], *, what: str
    ) -> tuple[str, bool]:
        """Create or update the record whose external id `key_field` is `key`; return its Id and
        whether it was created. A 201 names the Id; a 204 (updated) does not, so we read it."""
        path = f"{key_field}/{quote(key, safe='')}"
        response = self._run(
            what, lambda sf: getattr(sf, sobject).upsert(path, fields, raw_response=True)
        )
        if response.status_code != 204 and response.content:
            answer = response.json()
            return answer["id"], bool(answer.get("created"))
        record = self._run(
            what,
            lambda sf: sf.restful(f"sobjects/{sobject}/{path}", params={"fields": "Id"}),
        )
        return record["Id"], False

    def _push_owned_fields(self, deal: DealRecord, link: Link) -> PushResult:
        """Once linked, only what the PRM owns: sales own the stage, amount, name and close
        date in Salesforce."""
        fields = {
            key: value
            for key, value in self.mapped(deal, only=PRM_OWNED_FIELDS).items()
            if key != self.deal_id_field
        }
        if fields:
            self._run(
                _("updating the opportunity"),
                lambda sf: sf.Opportunity.update(link.opportunity_id, fields),
            )
        return PushResult(
            account_id=link.account_id,
            opportunity_id=link.opportunity_id,
            created=False,
            message=_("Updated %(fields)s on opportunity %(opportunity)s.")
            % {"fields": ", ".join(fields) or _("nothing"), "opportunity": link.opportunity_id},
        )


def api_name(name: str) -> str:
    """A field name from the settings, checked before it goes into SOQL."""
    if not API_NAME.fullmatch(name):
        raise ConnectorError(
            _("%(name)r is not a Salesforce field name (letters, digits, underscores).")
            % {"name": name},
            retry=False,
        )
    return name


def parse_modstamp(value: str) -> datetime:
    """Salesforce's "2024-05-01T10:00:00.000+0000", or our cursor's "2024-05-01T10:00:00Z"."""
    if value.endswith("Z"):
        return datetime.strptime(value, SOQL_DATETIME_FORMAT).replace(tzinfo=UTC)
    return datetime.strptime(value, MODSTAMP_FORMAT).astimezone(UTC)
