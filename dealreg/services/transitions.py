"""The one place a registration changes status: the allowed moves, the history row, the audit.

Callers (submission, approval, expiry, won/lost, disputes) check their own business rules first,
lock the row (`select_for_update`), then call `transition`. Locks are not released here: the
database constraint `deal_one_lock_per_account` holds while the status is "approved".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format, get_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tenancy.access import Actor
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.events import emit, emit_many

from ..models import DealEvent, DealRegistration, DealStatus

S = DealStatus

TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.DRAFT: (S.SUBMITTED,),
    S.SUBMITTED: (S.UNDER_REVIEW, S.APPROVED, S.REJECTED),
    S.UNDER_REVIEW: (S.APPROVED, S.REJECTED),
    S.APPROVED: (S.WON, S.LOST, S.EXPIRED),
    S.REJECTED: (),
    S.WON: (),
    S.LOST: (),
    S.EXPIRED: (),
}
CLOSED_STATUSES = frozenset({S.WON, S.LOST, S.EXPIRED, S.REJECTED})


def _label(status: str) -> str:
    return str(S(status).label) if status in S.values else status


def when_text(moment: datetime, *, with_time: bool = True) -> str:
    """A moment for a history note, as people read it ("5 Dec 2026, 14:00 UTC"), in the project's
    one date format (django.utils.formats, prm/formats), never ISO. The note is written once, so
    the format names the time zone."""
    local = timezone.localtime(moment)
    return date_format(local, "DATETIME_FORMAT" if with_time else "DATE_FORMAT")


# Format characters (django.utils.dateformat) that show seconds or finer.
_BELOW_A_MINUTE = frozenset("sufUcr")


def when_text_memo() -> Callable[[datetime], str]:
    """when_text for many moments (a sweep's history notes, thousands per batch): each distinct
    minute is formatted once per time zone and language in force. The key is the instant (in
    UTC), not the wall clock, so the two 02:30 of a DST change stay apart and each keeps its
    zone's abbreviation. Formats that show seconds key on the whole moment."""
    memo: dict[tuple[float, object, str | None], str] = {}
    to_minute = not (_BELOW_A_MINUTE & set(get_format("DATETIME_FORMAT")))

    def text(moment: datetime) -> str:
        # The POSIX timestamp is the instant whatever the moment's tzinfo (cheap to key on).
        instant = moment.timestamp()
        zone, language = timezone.get_current_timezone(), get_language()
        key = (instant // 60 if to_minute else instant, zone, language)
        if key not in memo:
            memo[key] = when_text(moment)
        return memo[key]

    return text


# Status moves other systems hear about (tenancy.events), by the status reached.
DOMAIN_EVENTS = {
    S.APPROVED: "deal.approved",
    S.REJECTED: "deal.rejected",
    S.EXPIRED: "deal.expired",
    S.WON: "deal.won",
    S.LOST: "deal.lost",
}


def _domain_event(action: str, status: dict) -> str | None:
    if action == "submitted":
        return "deal.submitted"
    to_status = status.get("to_status", "")
    if to_status and to_status != status.get("from_status", ""):
        return DOMAIN_EVENTS.get(to_status)
    return None


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def deal_event_data(registration: DealRegistration, partner_uuid) -> dict:
    """What a deal's domain event carries (webhooks, CRM connectors): the registration as the
    partner registered it, its status and lock."""
    return {
        "deal": str(registration.uuid),
        "partner": str(partner_uuid),
        "status": registration.status,
        "customer_name": registration.customer_name,
        "customer_domain": registration.customer_domain,
        "region": registration.region,
        "products": list(registration.products or []),
        "estimated_value": str(registration.estimated_value),
        "currency": registration.currency,
        "expected_close_date": _iso(registration.expected_close_date),
        "submitted_at": _iso(registration.submitted_at),
        "approved_at": _iso(registration.approved_at),
        "expires_at": _iso(registration.expires_at),
        "closed_at": _iso(registration.closed_at),
    }


def event_record(
    *, registration: DealRegistration, action: str, actor: Actor, note: str = "", **status
) -> DealEvent:
    """A history row (a status move, or a reminder, extension, note); a status move other
    systems care about also emits its domain event (`DOMAIN_EVENTS`)."""
    kind = _domain_event(action, status)
    if kind:
        partner_uuid = registration.partner.uuid
        emit(
            kind,
            aggregate="deal",
            aggregate_uuid=registration.uuid,
            partner_uuid=partner_uuid,
            data=deal_event_data(registration, partner_uuid),
        )
    return DealEvent.objects.create(
        tenant=require_current_tenant(),
        registration=registration,
        action=action,
        from_status=status.get("from_status", ""),
        to_status=status.get("to_status", ""),
        by=actor.user,
        by_label=actor.label[:254],
        note=note,
    )


def events_record_many(rows, *, action: str, actor: Actor, note, **status) -> None:
    """event_record for a batch (the sweeps): one INSERT; `note(row)` writes each row's note."""
    tenant = require_current_tenant()
    kind = _domain_event(action, status)
    if kind and rows:
        from partners.models import PartnerOrganization

        uuids = dict(
            PartnerOrganization.objects.filter(pk__in={row.partner_id for row in rows}).values_list(
                "pk", "uuid"
            )
        )
        moved_at = timezone.now()
        for row in rows:  # as the caller's UPDATE left them
            row.status = status.get("to_status") or row.status
            if row.status in CLOSED_STATUSES - {S.REJECTED}:
                row.closed_at = row.closed_at or moved_at
        emit_many(
            kind,
            aggregate="deal",
            items=[
                (row.uuid, uuids[row.partner_id], deal_event_data(row, uuids[row.partner_id]))
                for row in rows
            ],
        )
    DealEvent.objects.bulk_create(
        [
            DealEvent(
                tenant=tenant,
                registration=row,
                action=action,
                from_status=status.get("from_status", ""),
                to_status=status.get("to_status", ""),
                by=actor.user,
                by_label=actor.label[:254],
                note=note(row),
            )
            for row in rows
        ]
    )


def transition(
    *,
    registration: DealRegistration,
    to_status: str,
    actor: Actor,
    note: str = "",
    action: str | None = None,
    update_fields: tuple[str, ...] = (),
) -> DealRegistration:
    """Move a (locked) registration along TRANSITIONS; saves `status` plus `update_fields` the
    caller changed, writes the DealEvent and the audit event. ValidationError for a move the
    table does not allow."""
    from_status = registration.status
    if to_status not in TRANSITIONS.get(from_status, ()):
        raise ValidationError(
            {
                "status": _("A registration cannot go from %(from)s to %(to)s.")
                % {"from": _label(from_status), "to": _label(to_status)}
            }
        )
    registration.status = to_status
    if to_status in CLOSED_STATUSES - {S.REJECTED}:
        registration.closed_at = timezone.now()
        update_fields = (*update_fields, "closed_at")
    registration.save(update_fields=["status", *update_fields])
    event_record(
        registration=registration,
        action=action or to_status,
        actor=actor,
        note=note,
        from_status=from_status,
        to_status=to_status,
    )
    audit_record(
        actor=actor,
        action=f"deal.{action or to_status}",
        target=registration,
        changes={"status": [from_status, to_status], **({"note": note} if note else {})},
    )
    return registration
