"""The approval SLA in business hours, and the sweep that reminds and escalates (each once)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from ..models import DealEvent, DealRegistration, DealRules, DealStatus, SlaState
from ..services import sla
from ..services.routing import route_assign
from ..services.rules import deal_rules
from ..sweeps import sla_sweep_all_tenants
from .lifecycle import make_deal, set_rules


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(**fields) -> DealRules:
    """Unsaved rules: 9–17, Monday–Friday, UTC, no holidays unless told."""
    return DealRules(**fields)


# --- Arithmetic (hand-checked) -----------------------------------------------------------------


def test_friday_afternoon_plus_48_business_hours_is_monday_week_after_next():
    # Fri 16–17 = 1 h; Mon–Fri of the next week = 40 h (41); Mon 9:00 + 7 h = 16:00 (48).
    assert sla.sla_due_at(utc(2027, 3, 5, 16), rules()) == utc(2027, 3, 15, 16)


def test_start_outside_hours_counts_from_the_next_opening():
    assert sla.add_business_hours(utc(2027, 3, 6, 10), 1, rules()) == utc(2027, 3, 8, 10)  # Sat
    assert sla.add_business_hours(utc(2027, 3, 5, 18), 2, rules()) == utc(2027, 3, 8, 11)  # Fri eve
    assert sla.add_business_hours(utc(2027, 3, 8, 7), 8, rules()) == utc(2027, 3, 8, 17)  # early


def test_public_holidays_are_skipped():
    # Thanksgiving 2026 is Thursday 26 November: Wed 16–17 (1 h) + Fri 9–16 (7 h).
    start = utc(2026, 11, 25, 16)
    assert sla.add_business_hours(start, 8, rules()) == utc(2026, 11, 26, 16)
    assert sla.add_business_hours(start, 8, rules(holiday_country="US")) == utc(2026, 11, 27, 16)


def test_business_timezone_is_respected():
    berlin = rules(business_timezone="Europe/Berlin")
    # 07:00 UTC is 08:00 in Berlin (winter): the clock starts at 09:00 local = 08:00 UTC.
    assert sla.add_business_hours(utc(2027, 3, 1, 7), 8, berlin) == utc(2027, 3, 1, 16)
    # The same instant in New York is 02:00: 09:00–17:00 EST = 14:00–22:00 UTC.
    new_york = rules(business_timezone="America/New_York")
    assert sla.add_business_hours(utc(2027, 3, 1, 7), 8, new_york) == utc(2027, 3, 1, 22)


def test_custom_weekdays_and_hours():
    sunday_to_thursday = rules(business_weekdays=[6, 0, 1, 2, 3], business_day_start=8)
    # Thu 2027-03-04 16:00 + 3 h: Thu 16–17 (1 h), Fri/Sat off, Sun 8–10 (2 h).
    assert sla.add_business_hours(utc(2027, 3, 4, 16), 3, sunday_to_thursday) == utc(2027, 3, 7, 10)


def test_subtracting_and_counting_business_hours():
    assert sla.add_business_hours(utc(2027, 3, 15, 16), -8, rules()) == utc(2027, 3, 12, 16)
    assert sla.business_hours_between(utc(2027, 3, 5, 16), utc(2027, 3, 8, 10), rules()) == 2
    assert sla.business_hours_between(utc(2027, 3, 5, 16), utc(2027, 3, 15, 16), rules()) == 48
    assert sla.business_hours_between(utc(2027, 3, 8, 10), utc(2027, 3, 5, 16), rules()) == -2


# --- State ---------------------------------------------------------------------------------------


def test_sla_state_moves_from_on_time_to_due_soon_to_breached(acme):
    deal = make_deal(acme, submitted_at=utc(2027, 3, 5, 16), sla_due_at=utc(2027, 3, 15, 16))
    with tenant_context(acme.tenant):
        assert sla.reminder_at(deal, deal_rules()) == utc(2027, 3, 12, 16)
        assert sla.sla_state(deal, utc(2027, 3, 12, 15)) == SlaState.ON_TIME
        assert sla.sla_state(deal, utc(2027, 3, 12, 16)) == SlaState.DUE_SOON
        assert sla.sla_state(deal, utc(2027, 3, 15, 16)) == SlaState.BREACHED
        deal.status, deal.decided_at = DealStatus.APPROVED, utc(2027, 3, 15, 15)
        assert sla.sla_state(deal, utc(2027, 4, 1)) == SlaState.DECIDED_ON_TIME
        deal.decided_at = utc(2027, 3, 16, 9)
        assert sla.sla_state(deal, utc(2027, 4, 1)) == SlaState.DECIDED_LATE
        deal.sla_due_at = None
        assert sla.sla_state(deal) == SlaState.NONE


# --- The sweep -----------------------------------------------------------------------------------


def sweep_at(moment: datetime, capture) -> None:
    with time_machine.travel(moment, tick=False), capture(execute=True):
        sla_sweep_all_tenants.delay()


@pytest.mark.django_db
def test_reminder_and_escalation_fire_once_each_in_business_hours(
    acme, globex, mailoutbox, django_capture_on_commit_callbacks
):
    set_rules(acme, sla_hours=8, sla_reminder_hours=2)
    # Friday 16:00: due Monday 16:00 (1 h Friday + 7 h Monday), reminder Monday 14:00.
    deal = make_deal(acme, submitted_at=utc(2027, 3, 5, 16))
    with tenant_context(acme.tenant):
        route_assign(registration=deal)
        assert deal.assigned_to == acme.manager  # no rule: the partner's channel manager
        assert deal.sla_due_at == utc(2027, 3, 8, 16)

    for moment in (
        utc(2027, 3, 5, 17),
        utc(2027, 3, 6, 12),
        utc(2027, 3, 7, 23),
        utc(2027, 3, 8, 13, 59),
    ):
        sweep_at(moment, django_capture_on_commit_callbacks)
    assert mailoutbox == []  # a weekend is no business time

    sweep_at(utc(2027, 3, 8, 14), django_capture_on_commit_callbacks)
    sweep_at(utc(2027, 3, 8, 14, 5), django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[acme.manager.email]]
    assert "Initech" in mailoutbox[0].subject

    sweep_at(utc(2027, 3, 8, 16), django_capture_on_commit_callbacks)
    sweep_at(utc(2027, 3, 8, 16, 5), django_capture_on_commit_callbacks)
    sweep_at(utc(2027, 3, 9, 9), django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox[1:]] == [[acme.admin.email]]
    assert "SLA" in mailoutbox[1].subject

    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get(pk=deal.pk)
        assert deal.sla_reminded_at == utc(2027, 3, 8, 14)
        assert deal.sla_escalated_at == utc(2027, 3, 8, 16)
        actions = list(DealEvent.objects.filter(registration=deal).values_list("action", flat=True))
        assert actions == ["sla_reminder", "sla_escalated"]
        assert AuditEvent.objects.filter(action="deal.sla_escalated").count() == 1
    with tenant_context(globex.tenant):
        assert not DealEvent.objects.exists()  # the other tenant's sweep saw nothing of acme


@pytest.mark.django_db
def test_queue_registration_reminds_program_admins_and_decided_ones_are_left_alone(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    set_rules(acme, sla_hours=8, sla_reminder_hours=2)
    queued = make_deal(acme, partner=acme.other_partner, submitted_at=utc(2027, 3, 8, 9))
    decided = make_deal(acme, status=DealStatus.APPROVED, submitted_at=utc(2027, 3, 8, 9))
    with tenant_context(acme.tenant):
        route_assign(registration=queued)
        route_assign(registration=decided)
        assert queued.assigned_to is None  # no channel manager: the program queue
    sweep_at(utc(2027, 3, 8, 15), django_capture_on_commit_callbacks)
    assert [m.to for m in mailoutbox] == [[acme.admin.email]]
    with tenant_context(acme.tenant):
        assert DealRegistration.objects.get(pk=decided.pk).sla_reminded_at is None


@pytest.mark.django_db
def test_a_late_sweep_escalates_without_a_stale_reminder(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    set_rules(acme, sla_hours=8, sla_reminder_hours=2)
    deal = make_deal(acme, submitted_at=utc(2027, 3, 8, 9))
    with tenant_context(acme.tenant):
        route_assign(registration=deal)
    sweep_at(utc(2027, 3, 9, 12), django_capture_on_commit_callbacks)
    sweep_at(utc(2027, 3, 9, 13), django_capture_on_commit_callbacks)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [acme.admin.email]


def _sla_queries(acme, count: int, now) -> tuple[int, dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..models import DealRegistration as Deal

    for n in range(count):
        make_deal(acme, sla_due_at=now + timedelta(hours=1, minutes=n), assigned_to=acme.manager)
        make_deal(acme, sla_due_at=now - timedelta(minutes=n + 1), assigned_to=acme.manager)
    with tenant_context(acme.tenant):
        assert Deal.objects.count() == 2 * count
        with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as queries:
            counts = sla.sla_sweep()
    return len(queries), counts


@pytest.mark.django_db
def test_the_sla_sweep_is_set_based_and_mails_one_digest_per_person(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    set_rules(acme, sla_hours=8, sla_reminder_hours=2)
    now = utc(2027, 3, 8, 12)  # Monday noon
    with django_capture_on_commit_callbacks(execute=True):
        few, counts = _sla_queries(acme, 5, now)
    assert counts == {"reminded": 5, "escalated": 5}
    with tenant_context(acme.tenant):
        DealRegistration.objects.all().delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        many, counts = _sla_queries(acme, 50, now)
    assert counts == {"reminded": 50, "escalated": 50}
    assert many == few
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == sorted(
        [
            (acme.manager.email, "50 registrations await your decision"),
            (acme.admin.email, "SLA breached: 50 registrations have no decision"),
        ]
    )
    mailoutbox.clear()
    sweep_at(now, django_capture_on_commit_callbacks)
    assert mailoutbox == []
