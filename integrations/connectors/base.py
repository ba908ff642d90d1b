"""The one interface every CRM connector implements (docs/integrations.md, "CRM connectors").

A connector speaks to one CRM for one connection (a tenant's settings and credentials). It knows
nothing of the database: the sync (`integrations.crm`) hands it plain records and stores what it
answers. Three jobs:

- **push** a deal registration: `push_deal(deal, link)` creates (or finds, by the PRM deal id
  kept in an external-id field, so a retried push never duplicates) the customer's account and
  the opportunity, with the partner attribution; once linked, later pushes send only the fields
  the PRM owns (registration status, lock expiry, partner), never the sales stage, which the CRM
  owns;
- **pull** what changed on the CRM side since a cursor (`pull_changes`): stage, next step, notes;
- **inbound** notifications (`inbound`): verify the CRM's signature and say what changed.

Field mapping: the PRM's fields (`PRM_FIELDS`) are mapped to the CRM's field names by the
connection's mapping (defaults per connector, `default_mapping`); stages by `default_stages`
(the CRM's stage value → one of the PRM's sales stages).

Errors: `ConnectorError` with `retry=True` (network, 429, 5xx: the sync tries again later with
the outbox's backoff) or `retry=False` (the CRM refused the request: credentials, mapping). A 429
or 5xx is retried in place first (`with_retries`), waiting as the CRM asks (Retry-After) up to
MAX_WAIT_SECONDS; a 401 makes the connector get a new token once (`refresh`) and try again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext_lazy as _

TIMEOUT_SECONDS = 15
RETRIES = 3  # tries of one call in place (429 / 5xx / network) before the sync's backoff
MAX_WAIT_SECONDS = 10.0  # longest in-place wait; a longer Retry-After fails the attempt

# The PRM's fields a mapping can send (name → label). Values come from `DealRecord.values()`.
PRM_FIELDS: dict[str, Any] = {
    "deal_id": _("Registration id"),
    "deal_name": _("Opportunity name"),
    "customer_name": _("Customer account"),
    "customer_domain": _("Customer domain"),
    "amount": _("Estimated value"),
    "currency": _("Currency"),
    "close_date": _("Expected close date"),
    "partner_id": _("Partner id"),
    "partner_name": _("Partner"),
    "registration_status": _("Registration status"),
    "approved_at": _("Approved on"),
    "lock_expires_at": _("Lock expires"),
    "region": _("Region"),
    "products": _("Products"),
    "registration_url": _("Registration link"),
}
# What the PRM owns and re-sends on every push once the opportunity exists (the rest is sent
# only when it is created: afterwards sales own it in the CRM).
PRM_OWNED_FIELDS = (
    "deal_id",
    "partner_id",
    "partner_name",
    "registration_status",
    "approved_at",
    "lock_expires_at",
    "registration_url",
)


class ConnectorError(Exception):
    """A CRM call failed. `retry`: worth trying again later; `status`: the HTTP status if any;
    `retry_after`: seconds the CRM asked us to wait (429)."""

    def __init__(
        self,
        message: str,
        *,
        retry: bool = True,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.retry = retry
        self.status = status
        self.retry_after = retry_after


class AuthExpired(ConnectorError):
    """The CRM answered 401: the connector refreshes its token once and tries again."""

    def __init__(self, message: str = "401 Unauthorized"):
        super().__init__(message, retry=False, status=401)


class InboundRefused(Exception):
    """An inbound notification failed verification (bad or old signature, wrong shape)."""


@dataclass(frozen=True)
class DealRecord:
    """A deal registration as pushed to a CRM (built by integrations.crm from dealreg and
    partners selectors)."""

    deal_uuid: str
    reference: str  # short, human: "DR-1a2b3c4d"
    status: str  # the PRM's registration status code ("approved", "won"...)
    status_label: str
    customer_name: str
    customer_domain: str
    amount: Decimal
    currency: str
    close_date: date | None
    partner_uuid: str
    partner_name: str
    approved_at: datetime | None = None
    lock_expires_at: datetime | None = None
    region: str = ""
    products: tuple[str, ...] = ()
    url: str = ""

    @property
    def name(self) -> str:
        """The opportunity's name: unique per deal (some CRMs refuse duplicate names)."""
        return f"{self.customer_name} ({self.partner_name}, {self.reference})"[:120]

    def values(self) -> dict[str, Any]:
        """PRM field name (`PRM_FIELDS`) → a JSON-able value."""
        return {
            "deal_id": self.deal_uuid,
            "deal_name": self.name,
            "customer_name": self.customer_name,
            "customer_domain": self.customer_domain,
            "amount": str(self.amount),
            "currency": self.currency,
            "close_date": self.close_date.isoformat() if self.close_date else None,
            "partner_id": self.partner_uuid,
            "partner_name": self.partner_name,
            "registration_status": self.status_label,
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "lock_expires_at": self.lock_expires_at.isoformat() if self.lock_expires_at else None,
            "region": self.region,
            "products": ", ".join(self.products),
            "registration_url": self.url,
        }


@dataclass(frozen=True)
class Link:
    """Where a deal lives in the CRM once pushed (integrations.models.CrmLink)."""

    account_id: str
    opportunity_id: str


@dataclass(frozen=True)
class PushResult:
    account_id: str
    opportunity_id: str
    created: bool  # True when this push created the opportunity
    message: str = ""  # for the sync log: what was done, in words


@dataclass(frozen=True)
class RemoteChange:
    """What the CRM says about one opportunity now. None: the CRM did not say (keep ours)."""

    opportunity_id: str
    deal_uuid: str | None = None  # from the external-id field, when the CRM returns it
    stage: str | None = None  # the CRM's own stage value; mapped with the connection's stages
    next_step: str | None = None
    notes: str | None = None
    changed_at: datetime | None = None


@dataclass
class PullResult:
    changes: list[RemoteChange]
    cursor: dict[str, Any]  # saved on the connection and handed to the next pull
    message: str = ""


@dataclass(frozen=True)
class SettingField:
    """One setting a connector needs (rendered in the console's connection form)."""

    name: str
    label: Any
    secret: bool = False  # stored encrypted, never shown again; blank in the form keeps it
    required: bool = True
    help_text: Any = ""
    default: str = ""


@dataclass
class Connector:
    """Base class: subclasses set the class attributes and implement the four methods."""

    kind: ClassVar[str]
    label: ClassVar[Any]
    settings_fields: ClassVar[tuple[SettingField, ...]] = ()
    default_mapping: ClassVar[Mapping[str, str]] = {}  # PRM field → CRM field
    default_stages: ClassVar[Mapping[str, str]] = {}  # CRM stage → PRM sales stage
    # True when the CRM can notify us (`inbound`); else the pull is the only way back.
    has_inbound: ClassVar[bool] = False

    settings: dict[str, Any]
    mapping: dict[str, str] = field(default_factory=dict)
    # What the connector keeps between runs (an access token, an instance URL...): stored
    # encrypted with the connection after each job, handed back on the next.
    state: dict[str, Any] = field(default_factory=dict)
    session: requests.Session | None = None
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if not self.mapping:
            self.mapping = dict(self.default_mapping)
        if self.session is None:
            self.session = requests.Session()

    # --- What a connector implements -----------------------------------------------------

    def test_connection(self) -> str:
        """Call the CRM once with the settings; return what was found, in words (e.g. "Signed
        in to Acme Corp (Salesforce)"); raise ConnectorError with a clear message if not."""
        raise NotImplementedError

    def push_deal(self, deal: DealRecord, link: Link | None) -> PushResult:
        raise NotImplementedError

    def pull_changes(self, cursor: dict[str, Any], *, linked: list[Link]) -> PullResult:
        """Changes since `cursor` ({} the first time). `linked`: the open deals' links, for
        CRMs that cannot list changes since a time and must look at each."""
        raise NotImplementedError

    def inbound(
        self, *, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> list[RemoteChange]:
        """Verify (with a secret from `settings`) and read a notification the CRM posted to our
        inbound URL (`url`: the full URL it was posted to). May call the CRM to read the records
        named. Raise InboundRefused when the signature or the shape is wrong."""
        raise InboundRefused("This connector takes no inbound notifications.")

    # --- Helpers for subclasses -----------------------------------------------------------

    def mapped(self, deal: DealRecord, *, only: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The deal's values under the CRM's field names (the mapping), optionally only the PRM
        fields in `only`. Fields mapped to "" are not sent."""
        values = deal.values()
        return {
            crm_field: values[prm_field]
            for prm_field, crm_field in self.mapping.items()
            if crm_field and prm_field in values and (only is None or prm_field in only)
        }

    def with_retries(self, call: Callable[[], Any], *, refresh: Callable[[], None] | None = None):
        """Run `call`, retrying in place: once after `refresh()` on AuthExpired (401), and up to
        RETRIES times on a retryable ConnectorError (429 waits Retry-After, capped; 5xx and
        network errors wait 1, 2, 4 s). Anything else, or the last failure, propagates."""
        refreshed = False
        tries = 0
        while True:
            try:
                return call()
            except AuthExpired:
                if refreshed or refresh is None:
                    raise ConnectorError(
                        str(_("The CRM refused the credentials (401), also after a new token.")),
                        retry=False,
                        status=401,
                    ) from None
                refresh()
                refreshed = True
            except ConnectorError as error:
                tries += 1
                if not error.retry or tries >= RETRIES:
                    raise
                wait = error.retry_after if error.retry_after is not None else 2 ** (tries - 1)
                if wait > MAX_WAIT_SECONDS:
                    raise
                self.sleep(wait)


def http_error(response: requests.Response, what: str) -> ConnectorError:
    """A ConnectorError for a non-2xx answer: 401 → AuthExpired; 429 and 5xx retryable (with
    Retry-After when given); other 4xx not."""
    status = response.status_code
    if status == 401:
        return AuthExpired(f"{what}: 401 {response.text[:200]}")
    retry_after = None
    if status == 429:
        try:
            retry_after = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            retry_after = 1.0
    retry = status == 429 or status >= 500
    return ConnectorError(
        f"{what}: HTTP {status} {response.text[:300]}",
        retry=retry,
        status=status,
        retry_after=retry_after,
    )


def network_error(error: requests.RequestException, what: str) -> ConnectorError:
    """A call that got no answer, in words an admin can act on (requests' own text names Python
    objects and memory addresses: "HTTPConnectionPool(...) Max retries exceeded...")."""
    request = getattr(error, "request", None)
    host = urlsplit(getattr(request, "url", None) or "").netloc
    where = {"host": host or str(_("its address"))}
    # NOTE: SSLError and ConnectTimeout are ConnectionErrors too: the order matters.
    if isinstance(error, requests.exceptions.SSLError):
        reason = _("the secure connection to %(host)s failed (its certificate was refused)")
    elif isinstance(error, requests.Timeout):
        reason = _("the CRM at %(host)s did not answer in time")
    elif isinstance(error, requests.ConnectionError):
        reason = _("could not reach the CRM at %(host)s: check the address and that the CRM is up")
    else:
        reason = _("the call to the CRM at %(host)s failed")
    return ConnectorError(f"{what}: {str(reason) % where}.", retry=True)
