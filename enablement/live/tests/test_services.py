"""Live sessions: capacity, waitlist, cancellation, confirmation email with .ics, attendance and
training hours."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from icalendar import Calendar

from enablement.live import services
from enablement.live.models import Registration, RegistrationStatus
from enablement.live.tests.factories import LiveSessionFactory
from enablement.training import training_hours
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db]


def partner_users(world, count):
    users = []
    for _ in range(count):
        user = UserFactory()
        MembershipFactory(
            tenant=world.tenant,
            user=user,
            role=Role.PARTNER_SALES,
            partner_organization=world.partner,
        )
        users.append(user)
    return users


def register(world, user, session):
    with tenant_context(world.tenant):
        return services.registration_register(
            actor=actor_for_user(user, world.tenant), session=session
        )


def cancel(world, user, registration):
    with tenant_context(world.tenant):
        return services.registration_cancel(
            actor=actor_for_user(user, world.tenant), registration=registration
        )


def statuses(world, session):
    with tenant_context(world.tenant):
        return dict(Registration.objects.filter(session=session).values_list("user_id", "status"))


def test_registration_confirms_until_full_then_waitlists(acme):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=2)
    a, b, c = partner_users(acme, 3)
    assert register(acme, a, session).status == RegistrationStatus.CONFIRMED
    assert register(acme, b, session).status == RegistrationStatus.CONFIRMED
    assert register(acme, c, session).status == RegistrationStatus.WAITLISTED
    with pytest.raises(ValidationError):
        register(acme, a, session)


def test_vendor_staff_cannot_register(acme):
    session = LiveSessionFactory(tenant=acme.tenant)
    with pytest.raises(PermissionDenied):
        register(acme, acme.sales, session)


def test_cannot_register_for_a_started_session(acme):
    now = datetime.now(UTC)
    session = LiveSessionFactory(
        tenant=acme.tenant, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )
    with pytest.raises(ValidationError):
        register(acme, acme.partner_sales, session)


def test_cancellation_promotes_first_waitlisted_and_emails_their_invite(
    acme, django_capture_on_commit_callbacks
):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=1)
    first, second, third = partner_users(acme, 3)
    with django_capture_on_commit_callbacks(execute=True):
        seat = register(acme, first, session)
        register(acme, second, session)
        register(acme, third, session)
    assert [m.to for m in mail.outbox] == [[first.email]]
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        cancel(acme, first, seat)

    assert statuses(acme, session) == {
        first.pk: RegistrationStatus.CANCELLED,
        second.pk: RegistrationStatus.CONFIRMED,  # FIFO: second queued before third
        third.pk: RegistrationStatus.WAITLISTED,
    }
    assert [m.to for m in mail.outbox] == [[second.email]]
    assert mail.outbox[0].attachments[0][0] == "invite.ics"


def test_cancelled_registration_can_reregister_at_end_of_queue(acme):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=1)
    first, second, third = partner_users(acme, 3)
    seat = register(acme, first, session)
    register(acme, second, session)
    cancel(acme, first, seat)  # second promoted
    register(acme, third, session)  # waitlisted
    again = register(acme, first, session)
    assert again.pk == seat.pk and again.status == RegistrationStatus.WAITLISTED
    with tenant_context(acme.tenant):
        waiting = list(
            Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED)
            .order_by("queued_at", "id")
            .values_list("user_id", flat=True)
        )
    assert waiting == [third.pk, first.pk]


def test_users_cannot_cancel_someone_elses_registration(acme):
    session = LiveSessionFactory(tenant=acme.tenant)
    registration = register(acme, acme.partner_sales, session)
    with pytest.raises(PermissionDenied):
        cancel(acme, acme.partner_marketing, registration)


def test_raising_capacity_lets_the_waitlist_in(acme):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=1)
    a, b = partner_users(acme, 2)
    register(acme, a, session)
    register(acme, b, session)
    with tenant_context(acme.tenant):
        services.session_update(
            actor=actor_for_user(acme.admin, acme.tenant), session=session, capacity=2
        )
    assert statuses(acme, session)[b.pk] == RegistrationStatus.CONFIRMED


def test_confirmation_email_carries_a_parseable_ics_in_utc(
    acme, django_capture_on_commit_callbacks
):
    starts = datetime(2030, 3, 5, 15, 30, tzinfo=UTC)
    session = LiveSessionFactory(
        tenant=acme.tenant,
        title="Pipeline workshop",
        starts_at=starts,
        ends_at=starts + timedelta(minutes=90),
        join_url="https://meet.example.com/pipeline",
    )
    with django_capture_on_commit_callbacks(execute=True):
        register(acme, acme.partner_sales, session)
    (message,) = mail.outbox
    assert message.to == [acme.partner_sales.email]
    name, content, mimetype = message.attachments[0]
    assert name == "invite.ics" and mimetype.startswith("text/calendar")
    content = content.encode() if isinstance(content, str) else content
    calendar = Calendar.from_ical(content)
    (event,) = calendar.walk("VEVENT")
    assert str(event["uid"]) == f"{session.uuid}@acme.{_base_domain()}"
    assert event.decoded("dtstart") == starts
    assert event.decoded("dtend") == starts + timedelta(minutes=90)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert b"DTSTART:20300305T153000Z" in content
    assert str(event["summary"]) == "Pipeline workshop"
    assert str(event["url"]) == "https://meet.example.com/pipeline"
    assert str(event["organizer"]).startswith("mailto:")
    assert "15:30" in message.body and "UTC" in message.body


def _base_domain():
    from django.conf import settings

    return settings.PRM_BASE_DOMAIN


def test_confirmation_is_not_sent_for_a_registration_cancelled_meanwhile(
    acme, django_capture_on_commit_callbacks
):
    from tenancy.models import OutboundEmail

    session = LiveSessionFactory(tenant=acme.tenant)
    # Confirmed and cancelled before the worker got to the mail:
    with django_capture_on_commit_callbacks(execute=False) as pending:
        registration = register(acme, acme.partner_sales, session)
    cancel(acme, acme.partner_sales, registration)
    for deliver in pending:
        deliver()
    assert mail.outbox == []
    with tenant_context(acme.tenant):
        row = OutboundEmail.objects.get(source_uuid=registration.uuid)
    assert row.status == "skipped" and "cancelled" in row.reason


def _past_session(world, hours, **kwargs):
    starts = datetime.now(UTC) - timedelta(days=3)
    return LiveSessionFactory(
        tenant=world.tenant, starts_at=starts, ends_at=starts + timedelta(hours=hours), **kwargs
    )


def _seat(world, user, session):
    return Registration.objects.unscoped().create(
        tenant=world.tenant, session=session, user=user, status=RegistrationStatus.CONFIRMED
    )


def test_attendance_counts_toward_training_hours(acme):
    long_session = _past_session(acme, 2)
    short_session = _past_session(acme, 1.5)
    sales, presales = acme.partner_sales, acme.partner_presales
    seats = {
        (sales, long_session): _seat(acme, sales, long_session),
        (sales, short_session): _seat(acme, sales, short_session),
        (presales, long_session): _seat(acme, presales, long_session),
    }
    with tenant_context(acme.tenant):
        admin = actor_for_user(acme.admin, acme.tenant)
        services.attendance_record(
            actor=admin,
            session=long_session,
            attended_ids={seats[(sales, long_session)].pk},  # presales did not show up
        )
        services.attendance_record(
            actor=admin,
            session=short_session,
            attended_ids={seats[(sales, short_session)].pk},
        )
        hours = training_hours([sales.pk, presales.pk, acme.partner_admin.pk])
    assert hours == {
        sales.pk: Decimal("3.50"),
        presales.pk: Decimal("0.00"),
        acme.partner_admin.pk: Decimal("0.00"),
    }


def test_instructor_account_may_take_attendance_but_other_staff_may_not(acme):
    session = _past_session(acme, 1, instructor=acme.sales)
    seat = _seat(acme, acme.partner_sales, session)
    with tenant_context(acme.tenant):
        services.attendance_record(
            actor=actor_for_user(acme.sales, acme.tenant), session=session, attended_ids={seat.pk}
        )
        with pytest.raises(PermissionDenied):
            services.attendance_record(
                actor=actor_for_user(acme.marketing, acme.tenant),
                session=session,
                attended_ids=set(),
            )
        assert training_hours([acme.partner_sales.pk])[acme.partner_sales.pk] == 1


def test_attendance_cannot_be_taken_before_the_session_starts(acme):
    session = LiveSessionFactory(tenant=acme.tenant)
    with tenant_context(acme.tenant), pytest.raises(ValidationError):
        services.attendance_record(
            actor=actor_for_user(acme.admin, acme.tenant), session=session, attended_ids=set()
        )


def test_session_times_must_be_aware_and_ordered_and_instructor_staff(acme):
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    base = {"title": "T", "instructor_name": "I", "capacity": 5}
    with tenant_context(acme.tenant):
        admin = actor_for_user(acme.admin, acme.tenant)
        with pytest.raises(ValidationError) as error:
            services.session_create(actor=admin, starts_at=starts, ends_at=starts, **base)
        assert "ends_at" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.session_create(
                actor=admin,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                instructor=acme.partner_sales,
                **base,
            )
        assert "instructor" in error.value.message_dict
        with pytest.raises(PermissionDenied):
            services.session_create(
                actor=actor_for_user(acme.marketing, acme.tenant),
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                **base,
            )


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_never_overbook(acme):
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs Postgres: SQLite's in-memory test database is not shared between threads "
            "(and SQLite serialises all writes anyway)."
        )
    capacity, people = 3, 10
    session = LiveSessionFactory(tenant=acme.tenant, capacity=capacity)
    users = partner_users(acme, people)
    barrier = threading.Barrier(people)
    errors = []

    def worker(user):
        try:
            barrier.wait(timeout=10)
            register(acme, user, session)
        except Exception as error:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    result = list(statuses(acme, session).values())
    assert result.count(RegistrationStatus.CONFIRMED) == capacity
    assert result.count(RegistrationStatus.WAITLISTED) == people - capacity
