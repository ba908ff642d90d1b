"""Lock expiry: warn the partner `expiry_warning_days` before an approved registration's lock
ends, then move it to "expired" at `expires_at` (which releases the account: the database lock
only covers approved registrations). Each happens once per registration however often the sweep
runs."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy.access import SYSTEM

from ..models import DealRegistration, DealStatus, ExtensionRequest, ExtensionStatus
from .routing import deal_mail_queue, deal_url, partner_emails
from .rules import deal_rules
from .transitions import event_record, transition, when_text


def expiry_sweep(now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    rules = deal_rules()
    counts = {"warned": 0, "expired": 0}
    approved = DealRegistration.objects.filter(status=DealStatus.APPROVED, expires_at__isnull=False)
    for pk in (
        approved.filter(expires_at__lte=now).order_by("expires_at").values_list("pk", flat=True)
    ):
        counts["expired"] += deal_expire(registration_id=pk, now=now)
    warn_until = now + timedelta(days=rules.expiry_warning_days)
    due_warnings = approved.filter(
        expires_at__gt=now, expires_at__lte=warn_until, expiry_warned_at__isnull=True
    )
    for pk in due_warnings.order_by("expires_at").values_list("pk", flat=True):
        counts["warned"] += expiry_warn(registration_id=pk, now=now)
    return counts


def expiry_warn(*, registration_id: int, now: datetime) -> int:
    with transaction.atomic():
        claimed = DealRegistration.objects.filter(
            pk=registration_id,
            status=DealStatus.APPROVED,
            expiry_warned_at__isnull=True,
            expires_at__gt=now,
        ).update(expiry_warned_at=now)
        if not claimed:
            return 0
        registration = DealRegistration.objects.select_related("partner", "submitted_by").get(
            pk=registration_id
        )
        event_record(
            registration=registration,
            action="expiry_warning",
            actor=SYSTEM,
            note=_("Lock ends %(at)s.") % {"at": when_text(registration.expires_at)},
        )
        rules = deal_rules()
        deal_mail_queue(
            template="expiry_warning",
            subject=_("Your registration for %(customer)s expires soon")
            % {"customer": registration.customer_name},
            to=partner_emails(registration),
            context={
                "deal": registration,
                "url": deal_url(registration, console=False),
                "can_extend": registration.extensions_used < rules.max_extensions,
            },
        )
    return 1


def deal_expire(*, registration_id: int, now: datetime) -> int:
    """Expire one approved registration whose lock has ended (no-op when it was extended, closed
    or expired meanwhile). An extension request still open is closed with it."""
    with transaction.atomic():
        registration = (
            DealRegistration.objects.select_for_update()
            .filter(pk=registration_id, status=DealStatus.APPROVED, expires_at__lte=now)
            .first()
        )
        if registration is None:
            return 0
        transition(
            registration=registration,
            to_status=DealStatus.EXPIRED,
            actor=SYSTEM,
            note=_("The registration's lifetime ended."),
        )
        ExtensionRequest.objects.filter(
            registration=registration, status=ExtensionStatus.PENDING
        ).update(
            status=ExtensionStatus.REJECTED,
            decided_at=now,
            decision_reason=_("The registration expired before a decision."),
        )
        registration = DealRegistration.objects.select_related("partner", "submitted_by").get(
            pk=registration.pk
        )
        deal_mail_queue(
            template="expiry_expired",
            subject=_("Your registration for %(customer)s has expired")
            % {"customer": registration.customer_name},
            to=partner_emails(registration),
            context={"deal": registration, "url": deal_url(registration, console=False)},
        )
    return 1
