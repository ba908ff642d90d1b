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


def event_record(
    *, registration: DealRegistration, action: str, actor: Actor, note: str = "", **status
) -> DealEvent:
    """A history row for something that is not a status move (reminder, extension, note)."""
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
