"""CRM connections: who may manage them (program admins, in the console), and every change.

Settings marked secret are stored encrypted and never shown again: a form left blank keeps the
stored value. Every change, test and "pull now" is audited or logged.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from dealreg.selectors.sync import sales_stages
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record

from . import crm
from .connectors import connector_class
from .connectors.base import PRM_FIELDS, ConnectorError
from .models import CrmConnection, CrmKind, CrmSyncLog, SyncDirection

MAX_CONNECTIONS = 5


def connections_for(actor: Actor) -> QuerySet[CrmConnection]:
    if not actor.has(Perm.API_KEYS_MANAGE) or actor.is_partner:
        return CrmConnection.objects.none()
    return CrmConnection.objects.all()


def get_connection(actor: Actor, connection_uuid) -> CrmConnection:
    connection = connections_for(actor).filter(uuid=connection_uuid).first()
    if connection is None:
        raise PermissionDenied(_("This CRM connection is not yours to manage."))
    return connection


def log_for(actor: Actor, connection: CrmConnection) -> QuerySet[CrmSyncLog]:
    get_connection(actor, connection.uuid)
    return CrmSyncLog.objects.filter(connection=connection)


def clean_settings(kind: str, values: dict, stored: dict) -> dict:
    """The connector's settings from a form: known names only, secrets kept when left blank,
    required ones present."""
    cls = connector_class(kind)
    cleaned, errors = {}, {}
    for spec in cls.settings_fields:
        value = str(values.get(spec.name) or "").strip()
        if not value and spec.secret:
            value = stored.get(spec.name, "")
        if not value:
            value = spec.default
        if spec.required and not value:
            errors[spec.name] = _("This setting is required.")
        elif value and spec.name in crm.URL_SETTINGS:
            try:
                crm.check_urls({spec.name: value})
            except ConnectorError as error:
                errors[spec.name] = str(error)
        cleaned[spec.name] = value
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_mapping(kind: str, mapping: dict, stages: dict) -> tuple[dict, dict]:
    cls = connector_class(kind)
    errors = {}
    unknown = sorted(set(mapping) - set(PRM_FIELDS))
    if unknown:
        errors["field_mapping"] = _("Unknown PRM field: %(names)s.") % {"names": ", ".join(unknown)}
    bad = sorted(stage for stage, ours in stages.items() if ours not in dict(sales_stages()))
    if bad:
        errors["stage_mapping"] = _("Map these CRM stages to a PRM stage: %(names)s.") % {
            "names": ", ".join(bad)
        }
    if errors:
        raise ValidationError(errors)
    # Keep only what differs from the connector's defaults (defaults can improve later).
    mapping = {
        name: str(value).strip()
        for name, value in mapping.items()
        if str(value).strip() != cls.default_mapping.get(name, "")
    }
    stages = {
        str(stage).strip(): ours
        for stage, ours in stages.items()
        if str(stage).strip() and cls.default_stages.get(str(stage).strip()) != ours
    }
    return mapping, stages


@transaction.atomic
def connection_create(
    *,
    actor: Actor,
    kind: str,
    name: str,
    settings: dict,
    demo_mode: bool = False,
) -> CrmConnection:
    access.require(actor, Perm.API_KEYS_MANAGE)
    if actor.is_partner:
        raise PermissionDenied(_("Only the program's administrators connect a CRM."))
    errors = {}
    if kind not in CrmKind.values:
        errors["kind"] = _("Choose a CRM.")
    name = (name or "").strip()[:100]
    if not name:
        errors["name"] = _("Give the connection a name.")
    elif CrmConnection.objects.filter(name__iexact=name).exists():
        errors["name"] = _("Another connection has this name.")
    if connections_for(actor).count() >= MAX_CONNECTIONS:
        errors["name"] = _("At most %(n)s CRM connections.") % {"n": MAX_CONNECTIONS}
    if errors:
        raise ValidationError(errors)
    # Paused until its settings are saved (a demo connection needs none: it starts at once).
    connection = CrmConnection(
        kind=kind,
        name=name,
        demo_mode=bool(demo_mode),
        is_active=bool(demo_mode),
        created_by=actor.user,
    )
    connection.settings = _demo_settings(kind, settings)
    connection.save()
    audit_record(
        actor=actor,
        action="integrations.crm_connected",
        target=connection,
        changes={"crm": str(CrmKind(kind).label), "demo_mode": connection.demo_mode},
    )
    return connection


def _demo_settings(kind: str, settings: dict) -> dict:
    """Settings as typed, nothing required (demo mode, or a connection not set up yet)."""
    cls = connector_class(kind)
    return {spec.name: str(settings.get(spec.name) or spec.default) for spec in cls.settings_fields}


@transaction.atomic
def connection_update(
    *,
    actor: Actor,
    connection: CrmConnection,
    name: str,
    settings: dict,
    field_mapping: dict,
    stage_mapping: dict,
    is_active: bool,
    demo_mode: bool,
) -> CrmConnection:
    connection = get_connection(actor, connection.uuid)
    name = (name or "").strip()[:100]
    if not name:
        raise ValidationError({"name": _("Give the connection a name.")})
    if CrmConnection.objects.filter(name__iexact=name).exclude(pk=connection.pk).exists():
        raise ValidationError({"name": _("Another connection has this name.")})
    stored = connection.settings
    cleaned = (
        _demo_settings(connection.kind, {**stored, **settings})
        if demo_mode
        else clean_settings(connection.kind, settings, stored)
    )
    mapping, stages = _clean_mapping(connection.kind, field_mapping, stage_mapping)
    changed = [
        label
        for label, before, after in (
            ("name", connection.name, name),
            ("settings", stored, cleaned),
            ("field_mapping", connection.field_mapping, mapping),
            ("stage_mapping", connection.stage_mapping, stages),
            ("active", connection.is_active, bool(is_active)),
            ("demo_mode", connection.demo_mode, bool(demo_mode)),
        )
        if before != after
    ]
    connection.name = name
    connection.settings = cleaned
    connection.field_mapping, connection.stage_mapping = mapping, stages
    connection.is_active, connection.demo_mode = bool(is_active), bool(demo_mode)
    if "settings" in changed or "demo_mode" in changed:
        connection.state = {}  # new credentials: tokens of the old ones go
    connection.save()
    if changed:
        audit_record(
            actor=actor,
            action="integrations.crm_changed",
            target=connection,
            changes={"fields": changed},
        )
    return connection


@transaction.atomic
def connection_delete(*, actor: Actor, connection: CrmConnection) -> None:
    connection = get_connection(actor, connection.uuid)
    audit_record(
        actor=actor,
        action="integrations.crm_deleted",
        target=connection,
        changes={"crm": str(CrmKind(connection.kind).label)},
    )
    connection.delete()


def connection_test(*, actor: Actor, connection: CrmConnection) -> tuple[bool, str]:
    """The "Test connection" button: one call to the CRM, its answer in the sync log."""
    connection = get_connection(actor, connection.uuid)
    connector = crm.connector_for(connection)
    try:
        if not connection.demo_mode:
            crm.check_urls(connection.settings)
        message, ok = connector.test_connection(), True
    except ConnectorError as error:
        message, ok = str(error), False
    finally:
        crm.keep_state(connection, connector)
    crm.log(connection, SyncDirection.TEST, message, ok=ok)
    return ok, message


def connection_pull_now(*, actor: Actor, connection: CrmConnection) -> int | None:
    """ "Pull now": read the CRM's changes at once (also what the schedule does)."""
    connection = get_connection(actor, connection.uuid)
    return crm.pull(connection)


def connection_backfill(*, actor: Actor, connection: CrmConnection) -> int:
    """ "Send open registrations": the approved ones not yet in this CRM are pushed."""
    connection = get_connection(actor, connection.uuid)
    if not connection.is_active:
        raise ValidationError(_("Activate the connection first."))
    return crm.backfill(connection)
