"""Two-way CRM sync: deal events out to each connected CRM, the CRM's changes back.

- **Out** (a relay channel, like webhooks): deal.approved / won / lost / expired become one
  `CrmSync` outbox row per active connection, delivered in order per deal and retried with
  backoff; `push` sends the registration as it is now (connectors.base: created once, found
  again by its id, later only the PRM-owned fields).
- **Back**: a connection's inbound URL (the CRM's own notifications, verified by the connector)
  and a pull every CRM_PULL_SECONDS (the safety net: what a lost notification missed). Both
  apply the same way (`apply_changes`).

The conflict rule (docs/integrations.md): the CRM owns the sales stage, next step and notes
(written into the registration through dealreg's `deal_pipeline_from_crm`); the PRM owns the
registration's status and lock (pushed, never read back).
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from dealreg.selectors.sync import (
    closed_deals,
    deal_for_sync,
    deal_status_label,
    open_deal_uuids,
)
from dealreg.services.pipeline import deal_pipeline_from_crm
from tenancy import outbox
from tenancy.context import tenant_context
from tenancy.hosts import tenant_base_url
from tenancy.outbox import DeliveryStatus

from . import relay
from .connectors import connector_class
from .connectors.base import (
    Connector,
    ConnectorError,
    DealRecord,
    InboundRefused,
    Link,
    RemoteChange,
)
from .models import CrmConnection, CrmLink, CrmSync, CrmSyncLog, SyncDirection

logger = logging.getLogger(__name__)

# The deal events a CRM hears of (a registration reaches the CRM once approved).
CRM_EVENTS = ("deal.approved", "deal.won", "deal.lost", "deal.expired")


def connector_for(connection: CrmConnection) -> Connector:
    """The connection's connector with its settings, mapping and saved state (the simulated
    CRM in demo mode)."""
    if connection.demo_mode:
        from .connectors.demo import DemoConnector

        cls: type[Connector] = DemoConnector
    else:
        cls = connector_class(connection.kind)
    base = connector_class(connection.kind)
    settings = connection.settings
    if connection.demo_mode:
        settings["_stages"] = list(base.default_stages)
    return cls(
        settings=settings,
        mapping={**base.default_mapping, **(connection.field_mapping or {})},
        state=connection.state,
        sleep=lambda seconds: pause(seconds),
    )


def pause(seconds: float) -> None:
    """A connector's in-place wait before a retry (tests replace it)."""
    time.sleep(seconds)


URL_SETTINGS = ("base_url", "login_url", "api_base")


def check_urls(settings: dict) -> None:
    """The addresses a connection calls pass the webhooks' destination rule (https, no private
    network unless WEBHOOKS_ALLOW_PRIVATE_NETWORKS): a tenant cannot make the server call its
    own neighbourhood. Checked when saved and before every call (names may resolve anew)."""
    for name in URL_SETTINGS:
        if settings.get(name):
            try:
                relay.check_destination(settings[name])
            except relay.DeliveryFailed as error:
                raise ConnectorError(str(error), retry=False) from error


def stages_for(connection: CrmConnection) -> dict[str, str]:
    """CRM stage → PRM sales stage: the connector's defaults with the connection's changes."""
    return {**connector_class(connection.kind).default_stages, **(connection.stage_mapping or {})}


def keep_state(connection: CrmConnection, connector: Connector) -> None:
    if connector.state != connection.state:
        connection.state = connector.state
        CrmConnection.objects.unscoped().filter(pk=connection.pk).update(
            state_encrypted=connection.state_encrypted
        )


def log(connection: CrmConnection, direction: str, message: str, *, ok=True, deal_uuid=None):
    CrmSyncLog.objects.unscoped().create(
        tenant_id=connection.tenant_id,
        connection=connection,
        direction=direction,
        ok=ok,
        deal_uuid=deal_uuid,
        message=str(message)[:500],
    )
    CrmConnection.objects.unscoped().filter(pk=connection.pk).update(
        last_error="" if ok else str(message)[:500]
    )


# --- Out: the relay channel ------------------------------------------------------------------


def deal_record(registration, tenant) -> DealRecord:
    path = reverse("console_deal_detail", kwargs={"deal_uuid": registration.uuid})
    return DealRecord(
        deal_uuid=str(registration.uuid),
        reference=f"DR-{registration.uuid.hex[:8]}",
        status=registration.status,
        status_label=deal_status_label(registration.status),
        customer_name=registration.customer_name,
        customer_domain=registration.customer_domain,
        amount=registration.estimated_value,
        currency=registration.currency,
        close_date=registration.expected_close_date,
        partner_uuid=str(registration.partner.uuid),
        partner_name=registration.partner.name,
        approved_at=registration.approved_at,
        lock_expires_at=registration.expires_at,
        region=registration.region,
        products=tuple(registration.products or ()),
        url=tenant_base_url(tenant) + path,
    )


def push(sync: CrmSync) -> None:
    """One attempt of a CrmSync (the channel's `send`): the registration as it is now."""
    connection = sync.connection
    with tenant_context(sync.tenant):
        registration = deal_for_sync(sync.aggregate_uuid)
        if registration is None:
            log(connection, SyncDirection.PUSH, gettext("The registration no longer exists."))
            return
        link = CrmLink.objects.filter(connection=connection, deal_uuid=registration.uuid).first()
        connector = connector_for(connection)
        try:
            if not connection.demo_mode:
                check_urls(connection.settings)
            result = connector.push_deal(
                deal_record(registration, sync.tenant),
                Link(link.account_id, link.opportunity_id) if link else None,
            )
        except ConnectorError as error:
            log(connection, SyncDirection.PUSH, error, ok=False, deal_uuid=registration.uuid)
            raise relay.DeliveryFailed(str(error)) from error
        finally:
            keep_state(connection, connector)
        CrmLink.objects.update_or_create(
            connection=connection,
            deal_uuid=registration.uuid,
            defaults={
                "account_id": result.account_id,
                "opportunity_id": result.opportunity_id,
                "pushed_at": timezone.now(),
                "is_open": registration.uuid not in closed_deals([registration.uuid]),
            },
        )
        log(connection, SyncDirection.PUSH, result.message, deal_uuid=registration.uuid)


def _targets(tenant_ids: set[int]) -> dict[int, list[CrmConnection]]:
    connections: dict[int, list[CrmConnection]] = defaultdict(list)
    for connection in CrmConnection.objects.unscoped().filter(
        tenant_id__in=tenant_ids, is_active=True
    ):
        connections[connection.tenant_id].append(connection)
    return connections


CHANNEL = relay.Channel(
    name="crm",
    model=CrmSync,
    target_field="connection",
    targets=_targets,
    subscribed=lambda connection, event: event.type in CRM_EVENTS,
    send=push,
    paused=lambda sync: not sync.connection.is_active,
    task="integrations.tasks.push_to_crm",
)
relay.register_channel(CHANNEL)


def backfill(connection: CrmConnection) -> int:
    """Queue a push of every approved, open registration not yet in this CRM (what a person
    does once, after connecting it). Returns how many were queued."""
    linked = set(CrmLink.objects.filter(connection=connection).values_list("deal_uuid", flat=True))
    queued = set(
        CrmSync.objects.filter(connection=connection, event__isnull=True).values_list(
            "aggregate_uuid", flat=True
        )
    )
    rows = CrmSync.objects.bulk_create(
        [
            CrmSync(
                tenant_id=connection.tenant_id,
                connection=connection,
                aggregate_uuid=deal_uuid,
                idempotency_key=f"backfill:{connection.uuid}:{deal_uuid}",
                next_attempt_at=outbox.initial_next_attempt(DeliveryStatus.QUEUED),
            )
            for deal_uuid in open_deal_uuids()
            if deal_uuid not in linked and deal_uuid not in queued
        ]
    )
    ids = [(CHANNEL.name, row.pk) for row in rows]
    transaction.on_commit(lambda: relay.enqueue(ids))
    return len(ids)


# --- Back: inbound notifications and the pull ------------------------------------------------


def apply_changes(connection: CrmConnection, changes: list[RemoteChange], *, direction: str) -> int:
    """Write what the CRM says into the linked registrations (the CRM's fields only). Returns
    how many registrations changed."""
    if not changes:
        return 0
    stages = stages_for(connection)
    links = {
        link.opportunity_id: link
        for link in CrmLink.objects.filter(
            connection=connection, opportunity_id__in=[change.opportunity_id for change in changes]
        )
    }
    source = gettext("CRM: %(name)s") % {"name": connection.name}
    now = timezone.now()
    changed = 0
    for change in changes:
        link = links.get(change.opportunity_id)
        if link is None:
            continue  # not one of ours (or not pushed yet)
        stage = stages.get(change.stage) if change.stage else None
        fields = {
            "sales_stage": stage,
            "next_step": change.next_step,
            "manager_notes": change.notes,
        }
        done = deal_pipeline_from_crm(registration_uuid=link.deal_uuid, source=source, **fields)
        if change.stage and stage is None:
            log(
                connection,
                direction,
                gettext("The CRM stage “%(stage)s” has no PRM stage: map it in the settings.")
                % {"stage": change.stage},
                ok=False,
                deal_uuid=link.deal_uuid,
            )
        CrmLink.objects.filter(pk=link.pk).update(remote_stage=change.stage or "", pulled_at=now)
        if done:
            changed += 1
            log(
                connection,
                direction,
                gettext("Updated from the CRM: %(fields)s.")
                % {"fields": ", ".join(_FIELD_WORDS[name] for name in done)},
                deal_uuid=link.deal_uuid,
            )
    return changed


_FIELD_WORDS = {
    "sales_stage": gettext("stage"),
    "next_step": gettext("next step"),
    "manager_notes": gettext("notes"),
}


def receive(connection: CrmConnection, *, method: str, url: str, headers, body: bytes):
    """A notification the CRM posted to the connection's inbound URL: verified and read by the
    connector, applied like a pull. Returns (HTTP status, JSON answer): 200 with how many
    changed, 401 when the signature is refused, 502 when reading the CRM failed."""
    connector = connector_for(connection)
    try:
        changes = connector.inbound(method=method, url=url, headers=headers, body=body)
    except InboundRefused as error:
        log(connection, SyncDirection.INBOUND, error, ok=False)
        return 401, {"detail": str(error)}
    except ConnectorError as error:
        log(connection, SyncDirection.INBOUND, error, ok=False)
        return 502, {"detail": str(error)}
    finally:
        keep_state(connection, connector)
    changed = apply_changes(connection, changes, direction=SyncDirection.INBOUND)
    return 200, {"received": len(changes), "updated": changed}


def pull(connection: CrmConnection) -> int | None:
    """Read what changed in the CRM since the last pull and apply it. Returns how many
    registrations changed, None when it failed (logged) or another pull of it is running."""
    lock = f"crm-pull:{connection.pk}"
    if not cache.add(lock, 1, timeout=600):
        return None
    try:
        with tenant_context(connection.tenant):
            open_links = CrmLink.objects.filter(connection=connection, is_open=True)
            _close_links(connection, open_links)
            linked = [
                Link(link.account_id, link.opportunity_id)
                for link in CrmLink.objects.filter(connection=connection, is_open=True)
            ]
            connector = connector_for(connection)
            try:
                if not connection.demo_mode:
                    check_urls(connection.settings)
                result = connector.pull_changes(connection.pull_cursor or {}, linked=linked)
            except ConnectorError as error:
                log(connection, SyncDirection.PULL, error, ok=False)
                return None
            finally:
                keep_state(connection, connector)
            changed = apply_changes(connection, result.changes, direction=SyncDirection.PULL)
            CrmConnection.objects.filter(pk=connection.pk).update(
                pull_cursor=result.cursor, last_pulled_at=timezone.now()
            )
            if changed or not connection.last_pulled_at:
                log(
                    connection,
                    SyncDirection.PULL,
                    ngettext(
                        "%(read)s %(changed)s registration updated.",
                        "%(read)s %(changed)s registrations updated.",
                        changed,
                    )
                    % {"read": result.message, "changed": changed},
                )
            elif connection.last_error:
                log(connection, SyncDirection.PULL, result.message)
            return changed
    finally:
        cache.delete(lock)


def _close_links(connection: CrmConnection, open_links) -> None:
    """Registrations closed here (won, lost, expired) need no more pulling."""
    uuids = list(open_links.values_list("deal_uuid", flat=True))
    closed = closed_deals(uuids)
    if closed:
        CrmLink.objects.filter(connection=connection, deal_uuid__in=closed).update(is_open=False)


def pull_due(*, now=None) -> int:
    """Beat: every active connection not pulled for CRM_PULL_SECONDS, all tenants."""
    now = now or timezone.now()
    due = CrmConnection.objects.unscoped().filter(is_active=True).select_related("tenant")
    cutoff = now - timedelta(seconds=settings.CRM_PULL_SECONDS)
    count = 0
    for connection in due:
        if connection.last_pulled_at and connection.last_pulled_at > cutoff:
            continue
        if not connection.tenant.is_active:
            continue
        from .tasks import pull_crm

        pull_crm.delay(connection_id=connection.pk)
        count += 1
    return count
