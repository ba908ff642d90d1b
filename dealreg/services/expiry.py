"""Lock expiry: warn the partner `expiry_warning_days` before an approved registration's lock
ends, then move it to "expired" at `expires_at` (which releases the account: the database lock
only covers approved registrations). Each happens once per registration however often the sweep
runs.

Set-based (issue 12): the sweep reads the due ids once and claims them in batches
(services/batches: one locking SELECT by id, one query for the partners not loaded yet, one
UPDATE, one INSERT of history rows and one of audit rows per batch) and then tells
each person once, a digest of every registration of theirs the run touched. Its queries grow with
the batches and the people told, never with the registrations one by one. One transaction: the
claims, the history and the mails commit together or not at all."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tenancy.access import SYSTEM
from tenancy.audit import audit_record_many

from ..models import DealRegistration, DealStatus, ExtensionRequest, ExtensionStatus
from .batches import locked_batches, partners_attach
from .routing import deal_digest_queue, partner_recipients, rows_per_person
from .rules import deal_rules
from .transitions import events_record_many, when_text_memo

ORDER = ("expires_at", "id")


def expiry_sweep(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    rules = deal_rules()
    approved = DealRegistration.objects.filter(status=DealStatus.APPROVED, expires_at__isnull=False)
    with transaction.atomic():
        expired = deals_expire(approved.filter(expires_at__lte=now), now=now)
        warn_until = now + timedelta(days=rules.expiry_warning_days)
        warned = expiry_warn(
            approved.filter(
                expires_at__gt=now, expires_at__lte=warn_until, expiry_warned_at__isnull=True
            ),
            now=now,
            max_extensions=rules.max_extensions,
        )
    return {"warned": warned, "expired": expired}


def expiry_warn(queryset, *, now: datetime, max_extensions: int) -> int:
    """Warn the partners of the approved registrations in `queryset` whose lock ends soon (not
    warned yet): set `expiry_warned_at`, write the history, one digest per person."""
    touched: list[DealRegistration] = []
    partners: dict = {}
    when = when_text_memo()
    note = _("Lock ends %(at)s.")
    for rows in locked_batches(queryset, order=ORDER):
        partners_attach(rows, partners)
        DealRegistration.objects.filter(pk__in=[row.pk for row in rows]).update(
            expiry_warned_at=now
        )
        events_record_many(
            rows,
            actor=SYSTEM,
            action="expiry_warning",
            note=lambda row: note % {"at": when(row.expires_at)},
        )
        for row in rows:
            row.expiry_warned_at = now
            row.can_extend = row.extensions_used < max_extensions
        touched.extend(rows)
    people = rows_per_person(touched, partner_recipients(touched))
    deal_digest_queue(
        template="expiry_warning",
        people=people,
        subject_one=_("Your registration for %(customer)s expires soon"),
        subject_many=lambda n: (
            ngettext(
                "%(count)s of your registrations expires soon",
                "%(count)s of your registrations expire soon",
                n,
            )
            % {"count": n}
        ),
        console=False,
        run=now.date().isoformat(),
    )
    return len(touched)


def deals_expire(queryset, *, now: datetime) -> int:
    """Expire the approved registrations in `queryset` whose lock has ended: status "expired"
    (closed now), history and audit rows, open extension requests closed, one digest per person."""
    touched: list[DealRegistration] = []
    note = _("The registration's lifetime ended.")
    partners: dict = {}
    for rows in locked_batches(queryset, order=ORDER):
        partners_attach(rows, partners)
        ids = [row.pk for row in rows]
        DealRegistration.objects.filter(pk__in=ids).update(status=DealStatus.EXPIRED, closed_at=now)
        ExtensionRequest.objects.filter(
            registration_id__in=ids, status=ExtensionStatus.PENDING
        ).update(
            status=ExtensionStatus.REJECTED,
            decided_at=now,
            decision_reason=_("The registration expired before a decision."),
        )
        events_record_many(
            rows,
            actor=SYSTEM,
            action=DealStatus.EXPIRED,
            note=lambda row: note,
            from_status=DealStatus.APPROVED,
            to_status=DealStatus.EXPIRED,
        )
        audit_record_many(
            actor=SYSTEM,
            action=f"deal.{DealStatus.EXPIRED}",
            targets=(
                (row, {"status": [DealStatus.APPROVED, DealStatus.EXPIRED], "note": note})
                for row in rows
            ),
        )
        for row in rows:
            row.status, row.closed_at = DealStatus.EXPIRED, now
        touched.extend(rows)
    people = rows_per_person(touched, partner_recipients(touched))
    deal_digest_queue(
        template="expiry_expired",
        people=people,
        subject_one=_("Your registration for %(customer)s has expired"),
        subject_many=lambda n: (
            ngettext(
                "%(count)s of your registrations has expired",
                "%(count)s of your registrations have expired",
                n,
            )
            % {"count": n}
        ),
        console=False,
        run=now.date().isoformat(),
    )
    return len(touched)
