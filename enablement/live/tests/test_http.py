"""Live sessions over HTTP: portal, console and API, each with the owner / wrong-role (403) /
other-tenant (404) trio; times in the viewer's zone; flat query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enablement.live.models import Registration, RegistrationStatus
from enablement.live.tests.factories import LiveSessionFactory
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

# A January date in the session window (at most two years ahead): Berlin is on CET then.
NEXT_YEAR = timezone.now().year + 1

pytestmark = [pytest.mark.django_db]


def seat(world, user, session, status=RegistrationStatus.CONFIRMED):
    return Registration.objects.unscoped().create(
        tenant=world.tenant, session=session, user=user, status=status
    )


def past_session(world, **kwargs):
    starts = timezone.now() - timedelta(days=1)
    return LiveSessionFactory(
        tenant=world.tenant, starts_at=starts, ends_at=starts + timedelta(hours=2), **kwargs
    )


def reg_status(world, user, session):
    with tenant_context(world.tenant):
        return Registration.objects.get(session=session, user=user).status


# --- Portal ------------------------------------------------------------------------------------


def test_portal_lists_upcoming_sessions_with_seats_left(acme, globex):
    session = LiveSessionFactory(tenant=acme.tenant, title="Acme workshop", capacity=5)
    seat(acme, acme.partner_admin, session)
    past_session(acme, title="Yesterday's session")
    LiveSessionFactory(tenant=globex.tenant, title="Globex workshop")
    response = acme.client(acme.partner_sales).get(reverse("portal_sessions"))
    assert response.status_code == 200
    assert [s.title for s in response.context["sessions"]] == ["Acme workshop"]
    assert response.context["sessions"][0].seats_left == 4
    assert b"Globex workshop" not in response.content


def test_portal_register_and_cancel(acme):
    session = LiveSessionFactory(tenant=acme.tenant, title="Demo day")
    client = acme.client(acme.partner_sales)
    url = reverse("portal_session_register", kwargs={"session_uuid": session.uuid})
    assert client.post(url).status_code == 302
    assert reg_status(acme, acme.partner_sales, session) == RegistrationStatus.CONFIRMED
    page = client.get(reverse("portal_sessions"))
    assert [r.session.title for r in page.context["registrations"]] == ["Demo day"]

    cancel_url = reverse("portal_session_cancel", kwargs={"session_uuid": session.uuid})
    response = client.post(cancel_url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "enablement/live/_portal_sessions.html" in [t.name for t in response.templates]
    assert reg_status(acme, acme.partner_sales, session) == RegistrationStatus.CANCELLED


def test_portal_full_session_puts_user_on_waitlist(acme):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=1)
    seat(acme, acme.partner_admin, session)
    client = acme.client(acme.partner_sales)
    client.post(reverse("portal_session_register", kwargs={"session_uuid": session.uuid}))
    assert reg_status(acme, acme.partner_sales, session) == RegistrationStatus.WAITLISTED


def test_portal_is_for_partner_users_only(acme):
    response = acme.client(acme.sales).get(reverse("portal_sessions"))
    assert response.status_code == 403
    session = LiveSessionFactory(tenant=acme.tenant)
    url = reverse("portal_session_register", kwargs={"session_uuid": session.uuid})
    assert acme.client(acme.manager).post(url).status_code == 403


def test_portal_session_of_other_tenant_gets_404(acme, globex):
    theirs = LiveSessionFactory(tenant=globex.tenant)
    url = reverse("portal_session_register", kwargs={"session_uuid": theirs.uuid})
    assert acme.client(acme.partner_sales).post(url).status_code == 404
    with tenant_context(globex.tenant):
        assert not Registration.objects.exists()


def test_portal_user_of_other_tenant_is_refused(acme, globex):
    response = acme.client(globex.partner_sales).get(reverse("portal_sessions"))
    assert response.status_code in (403, 404)


def test_times_render_in_the_viewers_zone(acme):
    starts = datetime(2031, 6, 2, 13, 0, tzinfo=UTC)  # 09:00 in New York (EDT)
    LiveSessionFactory(
        tenant=acme.tenant, starts_at=starts, ends_at=starts + timedelta(hours=1), title="TZ"
    )
    client = acme.client(acme.partner_sales)
    response = client.get(reverse("portal_sessions"), {"tz": "America/New_York"})
    html = response.content.decode()
    assert "09:00–10:00" in html and "America/New_York" in html
    assert response.cookies["tz"].value == "America/New_York"
    # The cookie (also what the page's script sets from the browser) is remembered.
    again = client.get(reverse("portal_sessions")).content.decode()
    assert "09:00–10:00" in again
    client.cookies["tz"] = "Asia%2FTokyo"  # as the page's script stores it
    assert "22:00–23:00" in client.get(reverse("portal_sessions")).content.decode()
    client.cookies["tz"] = "Not/AZone"
    assert "13:00–14:00" in client.get(reverse("portal_sessions")).content.decode()


def test_portal_list_query_count_is_flat(acme):
    client = acme.client(acme.partner_sales)

    def build(n):
        for _ in range(n):
            session = LiveSessionFactory(tenant=acme.tenant)
            seat(acme, acme.partner_sales, session)
            for _ in range(2):
                user = UserFactory()
                MembershipFactory(
                    tenant=acme.tenant,
                    user=user,
                    role=Role.PARTNER_SALES,
                    partner_organization=acme.partner,
                )
                seat(acme, user, session)

    build(2)
    client.get(reverse("portal_sessions"))  # warm caches
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("portal_sessions")).status_code == 200
    build(8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("portal_sessions"))
    assert len(response.context["sessions"]) == 10
    assert len(many) == len(few)


# --- Console -----------------------------------------------------------------------------------


def test_console_admin_creates_session_in_their_zone(acme):
    client = acme.client(acme.admin)
    client.cookies["tz"] = "Europe/Berlin"
    response = client.post(
        reverse("console_sessions"),
        {
            "title": "Partner onboarding",
            "instructor_name": "Grace Hopper",
            "instructor": acme.sales.pk,
            "starts_at": f"{NEXT_YEAR}-01-15T10:00",
            "ends_at": f"{NEXT_YEAR}-01-15T11:30",
            "location": "Online",
            "join_url": "https://meet.example.com/x",
            "capacity": 12,
        },
    )
    assert response.status_code == 302, response.content
    with tenant_context(acme.tenant):
        from enablement.live.models import LiveSession

        session = LiveSession.objects.get(title="Partner onboarding")
    assert session.starts_at == datetime(NEXT_YEAR, 1, 15, 9, 0, tzinfo=UTC)  # CET = UTC+1
    assert session.instructor == acme.sales


def test_console_form_errors_keep_input(acme):
    response = acme.client(acme.admin).post(
        reverse("console_sessions"),
        {
            "title": "Bad times",
            "instructor_name": "X",
            "starts_at": f"{NEXT_YEAR}-01-15T10:00",
            "ends_at": f"{NEXT_YEAR}-01-15T09:00",
            "capacity": 5,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["ends_at"]
    assert b"Bad times" in response.content


def test_console_is_read_only_for_program_viewers_and_closed_to_others(acme):
    session = LiveSessionFactory(tenant=acme.tenant)
    response = acme.client(acme.executive).get(reverse("console_sessions"))
    assert response.status_code == 200 and response.context["form"] is None
    detail = reverse("console_session_detail", kwargs={"session_uuid": session.uuid})
    assert acme.client(acme.executive).post(detail, {"title": "x"}).status_code == 403
    assert acme.client(acme.partner_admin).get(reverse("console_sessions")).status_code == 403
    assert acme.client(acme.sales).get(reverse("console_sessions")).status_code == 403


def test_console_session_of_other_tenant_gets_404(acme, globex):
    theirs = LiveSessionFactory(tenant=globex.tenant)
    detail = reverse("console_session_detail", kwargs={"session_uuid": theirs.uuid})
    assert acme.client(acme.admin).get(detail).status_code == 404
    attendance = reverse("console_session_attendance", kwargs={"session_uuid": theirs.uuid})
    assert acme.client(acme.admin).post(attendance).status_code == 404


def test_console_roster_shows_confirmed_and_waitlist(acme):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=1)
    seat(acme, acme.partner_sales, session)
    seat(acme, acme.partner_presales, session, status=RegistrationStatus.WAITLISTED)
    detail = reverse("console_session_detail", kwargs={"session_uuid": session.uuid})
    response = acme.client(acme.executive).get(detail)
    roster = response.context["roster"]
    assert [r.user for r in roster["confirmed"]] == [acme.partner_sales]
    assert [r.user for r in roster["waitlisted"]] == [acme.partner_presales]


def test_instructor_marks_attendance_other_staff_cannot(acme):
    session = past_session(acme, instructor=acme.sales)
    present = seat(acme, acme.partner_sales, session)
    seat(acme, acme.partner_presales, session)
    url = reverse("console_session_attendance", kwargs={"session_uuid": session.uuid})
    # direct sales has no program access but is this session's instructor
    response = acme.client(acme.sales).post(url, {"attended": [str(present.uuid)]})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        marked = dict(
            Registration.objects.filter(session=session).values_list("user_id", "attended")
        )
    assert marked == {acme.partner_sales.pk: True, acme.partner_presales.pk: False}
    assert acme.client(acme.executive).post(url, {"attended": []}).status_code == 403
    with tenant_context(acme.tenant):
        assert Registration.objects.get(pk=present.pk).attended is True


# --- API ---------------------------------------------------------------------------------------


def test_api_partner_lists_registers_and_cancels(acme, globex):
    session = LiveSessionFactory(tenant=acme.tenant, capacity=1)
    LiveSessionFactory(tenant=globex.tenant)
    api = acme.api(acme.partner_sales)
    listing = api.get("/api/v1/live-sessions/")
    assert listing.status_code == 200
    rows = listing.json()["results"]
    assert [r["id"] for r in rows] == [str(session.uuid)]
    assert rows[0]["seats_left"] == 1 and rows[0]["my_status"] is None

    created = api.post(f"/api/v1/live-sessions/{session.uuid}/register/")
    assert created.status_code == 201 and created.json()["status"] == "confirmed"
    again = api.post(f"/api/v1/live-sessions/{session.uuid}/register/")
    assert again.status_code == 400

    mine = api.get("/api/v1/live-registrations/").json()["results"]
    assert [r["session"] for r in mine] == [str(session.uuid)]

    cancelled = api.post(f"/api/v1/live-sessions/{session.uuid}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_api_staff_see_roster_partners_only_their_own(acme):
    session = LiveSessionFactory(tenant=acme.tenant)
    seat(acme, acme.partner_sales, session)
    other = seat(acme, acme.partner_presales, session)
    roster = acme.api(acme.admin).get("/api/v1/live-registrations/", {"session": session.uuid})
    rows = roster.json()["results"]
    assert len(rows) == 2
    hidden = acme.api(acme.partner_sales).get(f"/api/v1/live-registrations/{other.uuid}/")
    assert hidden.status_code == 404


def test_api_wrong_role_gets_403(acme):
    session = LiveSessionFactory(tenant=acme.tenant)
    assert acme.api(acme.sales).get("/api/v1/live-sessions/").status_code == 403
    assert acme.api(acme.sales).get("/api/v1/live-registrations/").status_code == 403
    response = acme.api(acme.executive).post(f"/api/v1/live-sessions/{session.uuid}/register/")
    assert response.status_code == 403


def test_api_other_tenant_session_gets_404(acme, globex):
    theirs = LiveSessionFactory(tenant=globex.tenant)
    api = acme.api(acme.partner_sales)
    assert api.get(f"/api/v1/live-sessions/{theirs.uuid}/").status_code == 404
    assert api.post(f"/api/v1/live-sessions/{theirs.uuid}/register/").status_code == 404
    registration = seat(globex, globex.partner_sales, theirs)
    response = acme.api(acme.admin).get(f"/api/v1/live-registrations/{registration.uuid}/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("starts", "ends", "field", "words"),
    [
        ("1900-01-01T10:00", "1900-01-01T11:00", "starts_at", "at most a year ago"),
        ("9999-12-31T10:00", "9999-12-31T11:00", "starts_at", "at most two years ahead"),
        ("SOONT10:00", "LATERT10:00", "ends_at", "at most 24 hours"),
    ],
)
def test_console_session_dates_outside_the_window_are_field_errors(
    acme, starts, ends, field, words
):
    soon = (timezone.localdate() + timedelta(days=10)).isoformat()
    later = (timezone.localdate() + timedelta(days=13)).isoformat()
    starts, ends = starts.replace("SOON", soon), ends.replace("LATER", later)
    response = acme.client(acme.admin).post(
        reverse("console_sessions"),
        {
            "title": "Out of range",
            "instructor_name": "X",
            "starts_at": starts,
            "ends_at": ends,
            "capacity": 5,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert words in " ".join(errors[field])
    body = response.content.decode()
    assert "Out of range" in body and "9223372036854775807" not in body
    with tenant_context(acme.tenant):
        from enablement.live.models import LiveSession

        assert not LiveSession.objects.filter(title="Out of range").exists()


def test_console_session_capacity_limit_in_business_terms(acme):
    soon = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = acme.client(acme.admin).post(
        reverse("console_sessions"),
        {
            "title": "Huge",
            "instructor_name": "X",
            "starts_at": f"{soon}T10:00",
            "ends_at": f"{soon}T11:00",
            "capacity": 99999999999999999999,
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["capacity"] == ["Enter at most 10,000 seats."]
    assert "9223372036854775807" not in response.content.decode()


def test_an_old_session_stays_editable_while_its_date_stays(acme):
    old = timezone.now() - timedelta(days=500)
    session = LiveSessionFactory(
        tenant=acme.tenant, starts_at=old, ends_at=old + timedelta(hours=1)
    )
    with tenant_context(acme.tenant):
        from enablement.live import services
        from tenancy.access import actor_for_user

        services.session_update(
            actor=actor_for_user(acme.admin, acme.tenant), session=session, title="Renamed"
        )
        session.refresh_from_db()
    assert session.title == "Renamed"


def test_api_session_dates_and_capacity_limits_are_400_field_errors(acme, globex):
    from enablement.live.models import LiveSession

    api = acme.api(acme.admin)
    soon = timezone.now().replace(microsecond=0) + timedelta(days=10)
    base = {"title": "API session", "instructor_name": "Ada"}
    for starts, ends, field in [
        ("1900-01-01T10:00:00Z", "1900-01-01T11:00:00Z", "starts_at"),
        ("9999-12-31T10:00:00Z", "9999-12-31T11:00:00Z", "starts_at"),
        (soon.isoformat(), (soon - timedelta(hours=1)).isoformat(), "ends_at"),
    ]:
        response = api.post(
            "/api/v1/live-sessions/", {**base, "starts_at": starts, "ends_at": ends}, format="json"
        )
        assert response.status_code == 400, response.content
        assert field in response.json()
    response = api.post(
        "/api/v1/live-sessions/",
        {
            **base,
            "starts_at": soon.isoformat(),
            "ends_at": (soon + timedelta(hours=1)).isoformat(),
            "capacity": 9223372036854775807,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["capacity"] == ["Enter at most 10,000 seats."]
    with tenant_context(acme.tenant):
        assert not LiveSession.objects.filter(title="API session").exists()
    response = api.post(
        "/api/v1/live-sessions/",
        {**base, "starts_at": soon.isoformat(), "ends_at": (soon + timedelta(hours=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content
    session_id = response.json()["id"]
    response = api.patch(
        f"/api/v1/live-sessions/{session_id}/",
        {"starts_at": "9999-12-31T10:00:00Z", "ends_at": "9999-12-31T11:00:00Z"},
        format="json",
    )
    assert response.status_code == 400 and "starts_at" in response.json()
    assert (
        acme.api(acme.executive).post("/api/v1/live-sessions/", base, format="json").status_code
        == 403
    )
    assert (
        globex.api(globex.admin)
        .patch(f"/api/v1/live-sessions/{session_id}/", {"capacity": 3}, format="json")
        .status_code
        == 404
    )
