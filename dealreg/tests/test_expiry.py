"""Lock expiry by schedule: the partner is warned once, then the registration expires once and the
account is free again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from ..models import (
    CustomerAccount,
    DealEvent,
    DealRegistration,
    DealStatus,
    ExtensionRequest,
    ExtensionStatus,
)
from ..services import extensions
from ..sweeps import expiry_sweep_all_tenants
from .lifecycle import make_deal, set_rules

pytestmark = pytest.mark.django_db


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sweep_at(moment, capture) -> None:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        expiry_sweep_all_tenants.delay()


def account(world, domain="initech.com"):
    with tenant_context(world.tenant):
        return CustomerAccount.objects.create(
            tenant=world.tenant, name="Initech", normalized_name="initech", domain=domain
        )


def test_warns_once_then_expires_once_and_frees_the_account(
    acme, globex, mailoutbox, django_capture_on_commit_callbacks
):
    set_rules(acme, expiry_warning_days=7)
    held = account(acme)
    deal = make_deal(
        acme, status=DealStatus.APPROVED, account=held, expires_at=utc(2027, 6, 30, 12)
    )
    sweep_at(utc(2027, 6, 23, 11), django_capture_on_commit_callbacks)  # 7 days + 1 h before
    assert mailoutbox == []
    sweep_at(utc(2027, 6, 23, 12), django_capture_on_commit_callbacks)
    sweep_at(utc(2027, 6, 25), django_capture_on_commit_callbacks)
    # Once, to the submitter and the partner's admins (one message each).
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [acme.partner_sales.email, acme.partner_admin.email]
    )
    assert all("expires soon" in m.subject for m in mailoutbox)

    mailoutbox.clear()
    sweep_at(utc(2027, 6, 30, 11, 59), django_capture_on_commit_callbacks)
    assert mailoutbox == []
    sweep_at(utc(2027, 6, 30, 12), django_capture_on_commit_callbacks)
    sweep_at(utc(2027, 7, 1), django_capture_on_commit_callbacks)
    assert {m.to[0] for m in mailoutbox} == {acme.partner_sales.email, acme.partner_admin.email}
    assert all("expired" in m.subject for m in mailoutbox) and len(mailoutbox) == 2

    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get(pk=deal.pk)
        assert deal.status == DealStatus.EXPIRED
        assert deal.closed_at == utc(2027, 6, 30, 12)
        assert list(
            DealEvent.objects.filter(registration=deal).values_list("action", flat=True)
        ) == ["expiry_warning", "expired"]
        assert AuditEvent.objects.filter(action="deal.expired").count() == 1
        # The lock is released: another partner's registration of the account may be approved.
        make_deal(acme, partner=acme.other_partner, status=DealStatus.APPROVED, account=held)
    with tenant_context(globex.tenant):
        assert not DealEvent.objects.exists()


def test_expiry_warning_goes_to_submitter_and_partner_admins(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    now = utc(2027, 6, 1)
    make_deal(acme, status=DealStatus.APPROVED, expires_at=now + timedelta(days=3))
    make_deal(acme, status=DealStatus.APPROVED, expires_at=now + timedelta(days=30))  # not yet
    make_deal(acme, status=DealStatus.WON, expires_at=now + timedelta(days=3))  # closed
    sweep_at(now, django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [acme.partner_sales.email, acme.partner_admin.email]
    )


def test_an_open_extension_request_is_closed_when_the_lock_expires(
    acme, django_capture_on_commit_callbacks
):
    deal = make_deal(acme, status=DealStatus.APPROVED, expires_at=utc(2027, 6, 30))
    with tenant_context(acme.tenant):
        request = ExtensionRequest.objects.create(
            tenant=acme.tenant,
            registration=deal,
            reason="More time",
            requested_by=acme.partner_sales,
        )
    sweep_at(utc(2027, 6, 30, 1), django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        request.refresh_from_db()
        assert request.status == ExtensionStatus.REJECTED
        assert DealRegistration.objects.get(pk=deal.pk).status == DealStatus.EXPIRED


def test_the_lifetime_is_enforced_for_every_approved_registration(
    acme, django_capture_on_commit_callbacks
):
    """Expiry is per registration: one expired does not touch a longer-lived one."""
    short = make_deal(acme, status=DealStatus.APPROVED, expires_at=utc(2027, 6, 30))
    long = make_deal(acme, status=DealStatus.APPROVED, expires_at=utc(2027, 9, 30))
    sweep_at(utc(2027, 7, 1), django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        assert DealRegistration.objects.get(pk=short.pk).status == DealStatus.EXPIRED
        assert DealRegistration.objects.get(pk=long.pk).status == DealStatus.APPROVED


def test_lifetime_and_extensions_are_enforced(acme, django_capture_on_commit_callbacks):
    set_rules(acme, max_extensions=1, extension_days=30)
    approved_at = utc(2027, 3, 1)
    deal = make_deal(
        acme, status=DealStatus.APPROVED, approved_at=approved_at, expires_at=utc(2027, 5, 30)
    )
    with tenant_context(acme.tenant):
        partner = actor_for_user(acme.partner_sales, acme.tenant)
        manager = actor_for_user(acme.manager, acme.tenant)
    with time_machine.travel(utc(2027, 5, 20), tick=False), tenant_context(acme.tenant):
        request = extensions.extension_request(actor=partner, registration=deal, reason="Q3")
        extensions.extension_approve(actor=manager, extension=request)
        with pytest.raises(ValidationError):  # one extension allowed, and it is used
            extensions.extension_request(actor=partner, registration=deal, reason="Again")
    sweep_at(utc(2027, 5, 30, 1), django_capture_on_commit_callbacks)  # the old end: still held
    with tenant_context(acme.tenant):
        assert DealRegistration.objects.get(pk=deal.pk).status == DealStatus.APPROVED
    sweep_at(utc(2027, 6, 29, 0, 1), django_capture_on_commit_callbacks)  # 30 days later
    with tenant_context(acme.tenant):
        assert DealRegistration.objects.get(pk=deal.pk).status == DealStatus.EXPIRED
        with pytest.raises(ValidationError):
            extensions.extension_request(actor=partner, registration=deal, reason="Late")


def _expiry_queries(acme, count: int, now) -> tuple[int, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..services.expiry import expiry_sweep

    for n in range(count):
        make_deal(acme, status=DealStatus.APPROVED, expires_at=now + timedelta(days=2, minutes=n))
        make_deal(acme, status=DealStatus.APPROVED, expires_at=now - timedelta(minutes=n + 1))
    with (
        tenant_context(acme.tenant),
        time_machine.travel(now, tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        counts = expiry_sweep()
    return len(queries), counts


def test_the_sweep_is_set_based_and_mails_one_digest_per_person(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    """Queries do not grow with the registrations; each person gets one message per run."""
    now = utc(2027, 6, 1)
    with django_capture_on_commit_callbacks(execute=True):
        few, counts = _expiry_queries(acme, 5, now)
    assert counts == {"warned": 5, "expired": 5}
    with tenant_context(acme.tenant):
        DealRegistration.objects.all().delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        many, counts = _expiry_queries(acme, 50, now)
    assert counts == {"warned": 50, "expired": 50}
    assert many == few
    # The submitter and the partner admin: one warning digest and one expiry digest each.
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == sorted(
        (person.email, subject)
        for person in (acme.partner_sales, acme.partner_admin)
        for subject in (
            "50 of your registrations expire soon",
            "50 of your registrations have expired",
        )
    )
    assert all(m.body.count("Initech") == 50 for m in mailoutbox)
    mailoutbox.clear()
    sweep_at(now, django_capture_on_commit_callbacks)  # a second run: nothing left to say
    assert mailoutbox == []


def test_history_notes_keep_the_right_zone_across_a_dst_change(acme):
    """The sweep formats each distinct minute once (when_text_memo); around the spring-forward
    change of Europe/Berlin each note still says its own local time and zone, and two moments in
    the same minute read the same."""
    from django.utils import timezone as tz

    from ..services.expiry import expiry_sweep
    from ..services.transitions import when_text

    set_rules(acme, expiry_warning_days=7)
    # 2027-03-28 01:00 UTC: clocks go from 02:00 CET to 03:00 CEST.
    moments = [
        utc(2027, 3, 28, 0, 59, 10),
        utc(2027, 3, 28, 0, 59, 50),
        utc(2027, 3, 28, 1, 0, 5),
        utc(2027, 3, 28, 1, 30),
    ]
    deals = [make_deal(acme, status=DealStatus.APPROVED, expires_at=at) for at in moments]
    with (
        tenant_context(acme.tenant),
        tz.override("Europe/Berlin"),
        time_machine.travel(utc(2027, 3, 25), tick=False),
    ):
        assert expiry_sweep() == {"warned": 4, "expired": 0}
        notes = [
            DealEvent.objects.get(registration=deal, action="expiry_warning").note for deal in deals
        ]
        assert notes == [f"Lock ends {when_text(at)}." for at in moments]
    assert notes == [
        "Lock ends 28 Mar 2027, 01:59 CET.",
        "Lock ends 28 Mar 2027, 01:59 CET.",
        "Lock ends 28 Mar 2027, 03:00 CEST.",
        "Lock ends 28 Mar 2027, 03:30 CEST.",
    ]
