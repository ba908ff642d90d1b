"""Writes of live sessions: create/edit, register, cancel (with waitlist promotion), attendance,
and the confirmation email with its calendar invite."""

from __future__ import annotations

from datetime import UTC

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enablement import limits
from tenancy import access
from tenancy.access import Actor, Perm, require
from tenancy.audit import audit_record
from tenancy.emails import (
    Attachment,
    emails_withdraw,
    mail_kind,
    person_address,
)
from tenancy.hosts import tenant_base_url, tenant_host
from tenancy.models import Membership
from tenancy.notifications import notify
from tenancy.roles import VENDOR_ROLES

from .models import LiveSession, Registration, RegistrationStatus

REGISTRATION_CONFIRMED = mail_kind(
    "live.registration_confirmed", gettext_lazy("Live session: seat confirmed")
)

SESSION_FIELDS = (
    "title",
    "description",
    "instructor_name",
    "instructor",
    "course",
    "starts_at",
    "ends_at",
    "location",
    "join_url",
    "capacity",
)


def _validate_session(session: LiveSession) -> None:
    session.full_clean(exclude=["tenant"])
    if session.instructor_id is not None:
        is_staff = Membership.objects.filter(
            user_id=session.instructor_id, role__in=sorted(VENDOR_ROLES), is_active=True
        ).exists()
        if not is_staff:
            raise ValidationError({"instructor": _("The instructor must be vendor staff.")})
    if session.course_id is not None and session.course.tenant_id != session.tenant_id:
        raise ValidationError({"course": _("Unknown course.")})


def _clean_times(data: dict, *, previous_start=None) -> None:
    """Aware times within enablement.limits' window (an unchanged start of an old session is
    kept), ending after the start and within a day; capacity within its limit."""
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is not None and timezone.is_naive(value):
            raise ValidationError({name: _("A time zone is required.")})
    errors = limits.session_time_errors(starts_at, ends_at)
    if previous_start is not None and starts_at == previous_start:
        errors.pop("starts_at", None)
    if "capacity" in data and (error := limits.session_capacity_error(data["capacity"])):
        errors["capacity"] = error
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def session_create(*, actor: Actor, **fields) -> LiveSession:
    require(actor, Perm.PROGRAM_MANAGE)
    data = {k: v for k, v in fields.items() if k in SESSION_FIELDS}
    _clean_times(data)
    session = LiveSession(tenant=actor.tenant, **data)
    _validate_session(session)
    session.save()
    audit_record(actor=actor, action="live_session.created", target=session)
    return session


@transaction.atomic
def session_update(*, actor: Actor, session: LiveSession, **fields) -> LiveSession:
    require(actor, Perm.PROGRAM_MANAGE)
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    data = {k: v for k, v in fields.items() if k in SESSION_FIELDS}
    merged = {"starts_at": session.starts_at, "ends_at": session.ends_at, **data}
    _clean_times(merged, previous_start=session.starts_at)
    changes = {}
    for name, value in data.items():
        old = getattr(session, name)
        if old != value:
            changes[name] = [str(old), str(value)]
        setattr(session, name, value)
    _validate_session(session)
    session.save()
    if changes:
        audit_record(actor=actor, action="live_session.updated", target=session, changes=changes)
    _fill_free_seats(session)  # a larger capacity lets the waitlist in
    return session


def _confirmed_count(session: LiveSession) -> int:
    return session.registrations.filter(status=RegistrationStatus.CONFIRMED).count()


def _confirm(registration: Registration) -> None:
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = timezone.now()
    registration.save(update_fields=["status", "confirmed_at"])
    registration_send_confirmation(registration=registration)


def _fill_free_seats(session: LiveSession) -> list[Registration]:
    """Promote waitlisted registrations, first come first served, into free seats.
    The caller holds the session row lock."""
    free = session.capacity - _confirmed_count(session)
    if free <= 0:
        return []
    promoted = list(
        session.registrations.filter(status=RegistrationStatus.WAITLISTED).order_by(
            "queued_at", "id"
        )[:free]
    )
    for registration in promoted:
        registration.session = session
        _confirm(registration)
    return promoted


@transaction.atomic
def registration_register(*, actor: Actor, session: LiveSession) -> Registration:
    """Take a seat, or a place on the waitlist when the session is full."""
    require(actor, Perm.PORTAL_VIEW)
    if actor.user is None:
        raise PermissionDenied(_("Only a person can register for a session."))
    # WARNING: the row lock serialises registrations of one session, so two people can never
    # both take its last seat (Postgres); SQLite serialises every write anyway.
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    if session.has_started:
        raise ValidationError(_("This session has already started."))
    registration = Registration.objects.filter(session=session, user=actor.user).first()
    if registration is not None and registration.is_active:
        raise ValidationError(_("You are already registered for this session."))
    if registration is None:
        registration = Registration(tenant=session.tenant, session=session, user=actor.user)
    registration.session = session
    registration.queued_at = timezone.now()
    registration.cancelled_at = None
    registration.attended = False
    registration.status = RegistrationStatus.WAITLISTED
    registration.save()
    if _confirmed_count(session) < session.capacity:
        _confirm(registration)
    return registration


@transaction.atomic
def registration_cancel(*, actor: Actor, registration: Registration) -> Registration:
    """Give up a seat (or a waitlist place); the first waitlisted person takes the seat."""
    own = actor.user is not None and registration.user_id == actor.user.pk
    if not own and not actor.has(Perm.PROGRAM_MANAGE):
        raise PermissionDenied(_("You can only cancel your own registration."))
    session = LiveSession.objects.select_for_update().get(pk=registration.session_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if not registration.is_active:
        raise ValidationError(_("This registration is already cancelled."))
    if session.has_started:
        raise ValidationError(_("This session has already started."))
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at"])
    # A confirmation not yet delivered is no longer true: it is not sent.
    emails_withdraw(
        kind=REGISTRATION_CONFIRMED,
        source_uuid=registration.uuid,
        reason=_("Not sent: the registration was cancelled."),
    )
    if not own:
        audit_record(actor=actor, action="live_registration.cancelled", target=registration)
    _fill_free_seats(session)
    return registration


@transaction.atomic
def attendance_record(
    *, actor: Actor, session: LiveSession, attended_ids: set[int]
) -> list[Registration]:
    """Mark who of the confirmed registrations attended (everyone else: did not)."""
    if not access.may_take_attendance(actor, session):
        raise PermissionDenied(_("Your role does not allow this."))
    if not session.has_started:
        raise ValidationError(_("Attendance can be taken once the session has started."))
    now = timezone.now()
    confirmed = list(
        Registration.objects.select_for_update().filter(
            session=session, status=RegistrationStatus.CONFIRMED
        )
    )
    changed = []
    for registration in confirmed:
        attended = registration.pk in attended_ids
        if registration.attended != attended or registration.attendance_marked_at is None:
            registration.attended = attended
            registration.attendance_marked_at = now
            registration.save(update_fields=["attended", "attendance_marked_at"])
            changed.append(registration)
    if changed:
        audit_record(
            actor=actor,
            action="live_session.attendance",
            target=session,
            changes={"attended": sorted(str(r.uuid) for r in confirmed if r.attended)},
        )
    return confirmed


# --- Confirmation email with the calendar invite ------------------------------------------


def session_portal_url(session: LiveSession) -> str:
    return tenant_base_url(session.tenant) + reverse("portal_sessions")


def _organizer_email(session: LiveSession) -> str:
    tenant_email = getattr(session.tenant, "support_email", "") or ""
    return tenant_email or settings.DEFAULT_FROM_EMAIL


def session_ics(session: LiveSession, *, attendee_email: str | None = None) -> bytes:
    """An iCalendar (RFC 5545) invite for the session, times in UTC."""
    from icalendar import Calendar, Event, vCalAddress, vText

    calendar = Calendar()
    calendar.add("prodid", "-//PRM//Live sessions//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"{session.uuid}@{tenant_host(session.tenant)}")
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", session.starts_at.astimezone(UTC))
    event.add("dtend", session.ends_at.astimezone(UTC))
    event.add("summary", session.title)
    if session.description:
        event.add("description", session.description)
    event.add("url", session.join_url or session_portal_url(session))
    if session.location or session.join_url:
        event.add("location", session.location or session.join_url)
    organizer = vCalAddress(f"mailto:{_organizer_email(session)}")
    organizer.params["cn"] = vText(session.instructor_name or session.tenant.name)
    event["organizer"] = organizer
    if attendee_email:
        attendee = vCalAddress(f"mailto:{attendee_email}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("ACCEPTED")
        event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def registration_send_confirmation(*, registration: Registration) -> None:
    """Write the confirmed registrant's mail (their seat, with the .ics) into the outbox, in
    the confirming transaction."""
    session = registration.session
    context = {
        "tenant": session.tenant,
        "session": session,
        "registration": registration,
        "user": registration.user,
        "portal_url": session_portal_url(session),
    }
    # Times in the email are in UTC: we do not know the reader's zone; the invite carries UTC.
    with timezone.override(UTC):
        text = render_to_string("enablement/live/emails/confirmation.txt", context)
        html = render_to_string("enablement/live/emails/confirmation.html", context)
    subject = _("%(tenant)s: you are registered for %(title)s") % {
        "tenant": session.tenant.name,
        "title": session.title,
    }
    notify(
        user=registration.user,
        kind=REGISTRATION_CONFIRMED,
        subject=subject,
        body_text=text,
        body_html=html,
        url=reverse("portal_sessions"),
        reply_to=person_address(session.instructor) if session.instructor_id else "",
        source_uuid=registration.uuid,
        attachments=[
            Attachment(
                "invite.ics",
                session_ics(session, attendee_email=registration.user.email),
                "text/calendar; method=REQUEST; charset=utf-8",
            )
        ],
    )
