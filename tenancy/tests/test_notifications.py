"""In-app notifications: notify() honours each person's channel (mail, in the app, both) per kind
and per tenant, always mails security mail, writes nothing twice; the bell costs one query; the
/notifications/ pages show a person only their own (others: 404; non-members: 403; another
tenant: 404); times are shown in the viewer's time zone, labelled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext_lazy

from tenancy.context import tenant_context
from tenancy.emails import mail_kind
from tenancy.models import (
    Membership,
    Notification,
    NotificationChannel,
    NotificationPreference,
    OutboundEmail,
)
from tenancy.notifications import notification_kinds, notify
from tenancy.outbox import DeliveryStatus

pytestmark = pytest.mark.django_db

EVENT = mail_kind("tests.event", gettext_lazy("Something happened (test)"))
OTHER_EVENT = mail_kind("tests.other_event", gettext_lazy("Something else happened (test)"))
SECURITY = mail_kind("tests.security", gettext_lazy("A security notice (test)"), always_mail=True)
LIST = reverse("notifications")
PREFERENCES = reverse("notification_preferences")


def tell(world, user, *, kind=EVENT, subject="Deal approved", **fields):
    with tenant_context(world.tenant):
        return notify(
            user=user,
            kind=kind,
            subject=subject,
            body_text=fields.pop("body_text", "Your deal for Initech is approved."),
            url=fields.pop("url", "/portal/deals/"),
            **fields,
        )


def prefer(world, user, channel, kind=EVENT):
    with tenant_context(world.tenant):
        NotificationPreference.objects.create(
            tenant=world.tenant, user=user, kind=kind, channel=channel
        )


def rows(world, model, **filters):
    with tenant_context(world.tenant):
        return list(model.objects.filter(**filters))


# --- notify() and the channels ----------------------------------------------------------------


def test_without_a_choice_the_event_is_mailed_and_in_the_bell(acme):
    done = tell(acme, acme.partner_sales)
    assert done.created and done.email.status == DeliveryStatus.QUEUED
    assert done.email.recipient == acme.partner_sales
    [note] = rows(acme, Notification, recipient=acme.partner_sales)
    assert note.title == "Deal approved" and note.url == "/portal/deals/"
    assert note.body == "Your deal for Initech is approved." and note.read_at is None


def test_in_app_only_writes_the_mail_as_skipped_with_the_reason(acme):
    prefer(acme, acme.partner_sales, NotificationChannel.IN_APP)
    done = tell(acme, acme.partner_sales)
    assert done.email.status == DeliveryStatus.SKIPPED
    assert "reads these in the app" in done.email.reason
    assert done.notification is not None


def test_mail_only_puts_nothing_in_the_bell(acme):
    prefer(acme, acme.partner_sales, NotificationChannel.MAIL)
    done = tell(acme, acme.partner_sales)
    assert done.email.status == DeliveryStatus.QUEUED
    assert done.notification is None
    assert rows(acme, Notification) == []


def test_the_default_applies_to_kinds_without_their_own_choice(acme):
    prefer(acme, acme.partner_sales, NotificationChannel.IN_APP, kind="")
    prefer(acme, acme.partner_sales, NotificationChannel.MAIL, kind=OTHER_EVENT)
    first = tell(acme, acme.partner_sales)
    second = tell(acme, acme.partner_sales, kind=OTHER_EVENT)
    assert first.email.status == DeliveryStatus.SKIPPED and first.notification is not None
    assert second.email.status == DeliveryStatus.QUEUED and second.notification is None


def test_security_mail_is_mailed_whatever_the_choice(acme):
    prefer(acme, acme.partner_sales, NotificationChannel.IN_APP, kind="")
    prefer(acme, acme.partner_sales, NotificationChannel.IN_APP, kind=SECURITY)
    done = tell(acme, acme.partner_sales, kind=SECURITY)
    assert done.email.status == DeliveryStatus.QUEUED
    assert done.notification is not None


def test_a_choice_belongs_to_one_tenant(acme, globex):
    person = acme.partner_sales
    prefer(acme, person, NotificationChannel.MAIL)
    with tenant_context(globex.tenant):
        Membership.objects.create(
            tenant=globex.tenant, user=person, role="partner_sales",
            partner_organization_id=globex.partner.pk,
        )  # fmt: skip
    done = tell(globex, person)
    assert done.notification is not None and done.notification.tenant == globex.tenant
    assert rows(acme, Notification) == []


def test_the_same_key_writes_nothing_twice(acme):
    first = tell(acme, acme.partner_sales, idempotency_key="deal:1:approved")
    again = tell(acme, acme.partner_sales, idempotency_key="deal:1:approved")
    assert first.created and not again.created and again.notification is None
    assert len(rows(acme, Notification)) == 1
    assert len(rows(acme, OutboundEmail, kind=EVENT)) == 1


def test_a_rolled_back_change_tells_nobody(acme):
    with pytest.raises(RuntimeError), transaction.atomic():
        tell(acme, acme.partner_sales)
        raise RuntimeError
    assert rows(acme, Notification) == [] and rows(acme, OutboundEmail, kind=EVENT) == []


def test_a_mail_recorded_as_not_sent_tells_nobody(acme):
    done = tell(acme, acme.partner_sales, status=DeliveryStatus.SKIPPED, reason="Condition met")
    assert done.email.status == DeliveryStatus.SKIPPED and done.notification is None


def test_a_credential_stays_in_the_mail(acme):
    done = tell(acme, acme.partner_sales, sensitive=True, body_text="Your link: /secret-token/")
    assert done.notification.body == "" and done.notification.title == "Deal approved"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "//evil.test/x", "data:text/html,x"])
def test_a_notification_links_only_to_a_page(acme, url):
    with pytest.raises(ValueError):
        tell(acme, acme.partner_sales, url=url)


def test_kinds_without_an_account_or_always_mailed_offer_no_choice():
    keys = {key for key, _label in notification_kinds()}
    assert EVENT in keys
    assert SECURITY not in keys  # always mailed
    assert "tenancy.invitation" not in keys and "tenancy.account" not in keys
    assert "partners.application_decided" not in keys  # mail to an applicant's address


# --- The bell ---------------------------------------------------------------------------------


def render_bell(world, user):
    request = RequestFactory().get("/", HTTP_HOST=world.host())
    request.user, request.tenant = user, world.tenant
    template = Template(
        "{% load notification_tags %}{% notification_bell %}{% notification_bell %}"
    )
    with tenant_context(world.tenant):
        return template.render(Context({"request": request}))


def test_the_bell_counts_unread_with_one_query_per_page(acme):
    for _ in range(3):
        tell(acme, acme.partner_sales)
    first = rows(acme, Notification)[0]
    with tenant_context(acme.tenant):
        Notification.objects.filter(pk=first.pk).update(read_at=datetime.now(UTC))
    tell(acme, acme.partner_admin)  # someone else's
    with CaptureQueriesContext(connection) as ctx:
        html = render_bell(acme, acme.partner_sales)
    assert len(ctx.captured_queries) == 1  # rendered twice, counted once
    assert html.count('data-unread="2"') == 2 and "2 unread notifications" in html


def test_the_bell_of_a_page_shows_the_viewer_count(acme):
    tell(acme, acme.manager)
    page = acme.client(acme.manager).get(reverse("console_home")).content.decode()
    assert "data-notification-bell" in page and 'data-unread="1"' in page
    assert "1 unread notification" in page


def test_no_bell_for_visitors_or_the_platform(acme, client):
    from django.contrib.auth.models import AnonymousUser

    assert "notification-bell" not in render_bell(acme, AnonymousUser())
    assert "data-notification-bell" not in client.get("/").content.decode()


def test_a_console_page_costs_one_query_more_for_the_bell(acme):
    from tenancy.templatetags import notification_tags

    client = acme.client(acme.manager)
    url = reverse("console_home")
    client.get(url)  # warm caches (sessions, content types)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    bell = [q for q in ctx.captured_queries if '"tenancy_notification"' in q["sql"]]
    assert len(bell) == 1 and "COUNT" in bell[0]["sql"]
    assert notification_tags.BADGE_MAX == 99


# --- The list page ----------------------------------------------------------------------------


def page(world, user, url=LIST, **params):
    response = world.client(user).get(url, params)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_a_person_sees_their_own_notifications_only(acme):
    tell(acme, acme.partner_sales, subject="Mine: deal approved")
    tell(acme, acme.partner_admin, subject="Theirs: agreement signed")
    html = page(acme, acme.partner_sales)
    assert "Mine: deal approved" in html and "Theirs: agreement signed" not in html
    assert "Something happened (test)" in html  # the kind in words
    assert ">tests.event<" not in html


def test_console_members_get_the_console_layout_and_partners_the_portal(acme):
    assert "Vendor console" in page(acme, acme.manager)
    assert "Partner portal" in page(acme, acme.partner_sales)


def test_filter_unread_and_read(acme):
    tell(acme, acme.partner_sales, subject="Still new")
    read = tell(acme, acme.partner_sales, subject="Already seen").notification
    with tenant_context(acme.tenant):
        Notification.objects.filter(pk=read.pk).update(read_at=datetime.now(UTC))
    unread = page(acme, acme.partner_sales, state="unread")
    assert "Still new" in unread and "Already seen" not in unread
    seen = page(acme, acme.partner_sales, state="read")
    assert "Already seen" in seen and "Still new" not in seen
    bad = page(acme, acme.partner_sales, state="maybe")
    assert "Still new" not in bad and "invalid-feedback" in bad  # a field error, not everything


def test_pages_of_25_and_queries_do_not_grow(acme):
    def queries() -> int:
        client = acme.client(acme.partner_sales)
        client.get(LIST)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    for n in range(3):
        tell(acme, acme.partner_sales, subject=f"Event {n}")
    few = queries()
    for n in range(3, 30):
        tell(acme, acme.partner_sales, subject=f"Event {n}")
    assert queries() == few
    html = page(acme, acme.partner_sales)
    assert "Showing 1–25 of 30" in html and "Event 29" in html and "Event 4 " not in html


def test_export_csv_of_own_notifications(acme):
    tell(acme, acme.partner_sales, subject="Mine")
    tell(acme, acme.partner_admin, subject="Theirs")
    response = acme.client(acme.partner_sales).get(LIST, {"format": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert "Mine" in body and "Theirs" not in body and "Something happened (test)" in body


def test_mark_one_read_by_its_recipient_only(acme):
    note = tell(acme, acme.partner_sales).notification
    url = reverse("notification_read", kwargs={"notification_uuid": note.uuid})
    assert acme.client(acme.partner_admin).post(url).status_code == 404  # another user's
    assert rows(acme, Notification, pk=note.pk)[0].read_at is None
    response = acme.client(acme.partner_sales).post(url)
    assert response.status_code == 302
    assert rows(acme, Notification, pk=note.pk)[0].read_at is not None


def test_mark_read_with_htmx_answers_the_row_and_the_bell(acme):
    note = tell(acme, acme.partner_sales).notification
    tell(acme, acme.partner_sales)
    url = reverse("notification_read", kwargs={"notification_uuid": note.uuid})
    html = acme.client(acme.partner_sales).post(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'id="notification-{note.uuid}"' in html and "Mark as read" not in html
    assert 'hx-swap-oob="true"' in html and 'data-unread="1"' in html


def test_mark_all_read_marks_only_ones_own(acme):
    for _ in range(2):
        tell(acme, acme.partner_sales)
    tell(acme, acme.partner_admin)
    response = acme.client(acme.partner_sales).post(reverse("notifications_read_all"))
    assert response.status_code == 302
    assert all(n.read_at for n in rows(acme, Notification, recipient=acme.partner_sales))
    assert rows(acme, Notification, recipient=acme.partner_admin)[0].read_at is None


def test_open_marks_read_and_goes_to_the_page(acme):
    note = tell(acme, acme.partner_sales, url="/portal/deals/").notification
    url = reverse("notification_open", kwargs={"notification_uuid": note.uuid})
    response = acme.client(acme.partner_sales).post(url)
    assert response.status_code == 302 and response["Location"] == "/portal/deals/"
    assert rows(acme, Notification, pk=note.pk)[0].read_at is not None


def test_open_never_leaves_for_another_host(acme):
    note = tell(acme, acme.partner_sales, url="https://elsewhere.test/x").notification
    url = reverse("notification_open", kwargs={"notification_uuid": note.uuid})
    response = acme.client(acme.partner_sales).post(url)
    assert response.status_code == 302 and response["Location"] == LIST


def test_another_tenants_notification_is_404(acme, globex):
    note = tell(acme, acme.partner_sales).notification
    url = reverse("notification_read", kwargs={"notification_uuid": note.uuid})
    assert globex.client(globex.partner_sales).post(url).status_code == 404
    assert rows(acme, Notification, pk=note.pk)[0].read_at is None


def test_someone_without_a_role_here_gets_403_and_the_platform_404(acme, globex, client):
    assert acme.client(globex.partner_sales).get(LIST).status_code == 403
    assert acme.client(globex.partner_sales).get(PREFERENCES).status_code == 403
    client.force_login(acme.partner_sales)
    assert client.get(LIST).status_code == 404  # the platform host has no notifications


def test_visitors_are_sent_to_log_in(acme):
    response = acme.client().get(LIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Preferences ------------------------------------------------------------------------------


def test_preferences_show_kinds_in_words(acme):
    html = page(acme, acme.partner_sales, PREFERENCES)
    assert "Something happened (test)" in html and "Email and in the app" in html
    assert ">tests.event<" not in html and "A security notice (test)" not in html
    assert "Europe/Berlin" in html and "The program&#x27;s (UTC)" in html


def test_saving_preferences_and_time_zone(acme):
    client = acme.client(acme.partner_sales)
    response = client.post(
        PREFERENCES,
        {"default": "in_app", f"channel_{EVENT}": "mail", "time_zone": "Europe/Berlin"},
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        chosen = dict(
            NotificationPreference.objects.filter(user=acme.partner_sales).values_list(
                "kind", "channel"
            )
        )
        member = Membership.objects.get(user=acme.partner_sales)
    assert chosen == {"": "in_app", EVENT: "mail"}
    assert member.time_zone == "Europe/Berlin"
    # Back to "as above" and "both": the rows go, the defaults apply again.
    client.post(PREFERENCES, {"default": "both", f"channel_{EVENT}": "", "time_zone": ""})
    assert rows(acme, NotificationPreference, user=acme.partner_sales) == []


def test_bad_preferences_are_field_errors_and_save_nothing(acme):
    response = acme.client(acme.partner_sales).post(
        PREFERENCES, {"default": "pigeon", "time_zone": "Mars/Olympus_Mons"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("invalid-feedback") >= 2
    assert rows(acme, NotificationPreference) == []
    assert rows(acme, Membership, user=acme.partner_sales)[0].time_zone == ""


def test_preferences_are_ones_own(acme):
    prefer(acme, acme.partner_admin, NotificationChannel.MAIL, kind="")
    acme.client(acme.partner_sales).post(PREFERENCES, {"default": "in_app", "time_zone": ""})
    mine = rows(acme, NotificationPreference, user=acme.partner_sales)
    theirs = rows(acme, NotificationPreference, user=acme.partner_admin)
    assert [p.channel for p in mine] == ["in_app"] and [p.channel for p in theirs] == ["mail"]


# --- Time zones -------------------------------------------------------------------------------


def test_a_time_zone_is_an_iana_name(acme):
    with tenant_context(acme.tenant):
        member = Membership.objects.get(user=acme.partner_sales)
        member.time_zone = "Mars/Olympus_Mons"
        with pytest.raises(ValidationError) as error:
            member.full_clean()
    assert "time_zone" in error.value.message_dict
    acme.tenant.time_zone = "Nowhere/Town"
    with pytest.raises(ValidationError):
        acme.tenant.full_clean()


def _event_at_13_05_utc(world, user):
    note = tell(world, user, subject="Timed event").notification
    with tenant_context(world.tenant):
        Notification.objects.filter(pk=note.pk).update(
            created_at=datetime(2026, 1, 15, 13, 5, tzinfo=UTC)
        )


@pytest.mark.parametrize(
    ("member_zone", "program_zone", "shown"),
    [
        ("Europe/Berlin", "UTC", "15 Jan 2026, 14:05 CET"),
        ("", "America/New_York", "15 Jan 2026, 08:05 EST"),  # the program's zone
        ("Asia/Tokyo", "America/New_York", "15 Jan 2026, 22:05 JST"),  # one's own first
        ("", "UTC", "15 Jan 2026, 13:05 UTC"),
    ],
)
def test_times_are_shown_in_the_viewers_zone_and_labelled(acme, member_zone, program_zone, shown):
    acme.tenant.time_zone = program_zone
    acme.tenant.save()
    with tenant_context(acme.tenant):
        Membership.objects.filter(user=acme.partner_sales).update(time_zone=member_zone)
    _event_at_13_05_utc(acme, acme.partner_sales)
    assert shown in page(acme, acme.partner_sales)


def test_each_viewer_sees_their_own_zone(acme):
    with tenant_context(acme.tenant):
        Membership.objects.filter(user=acme.manager).update(time_zone="Europe/Berlin")
    _event_at_13_05_utc(acme, acme.partner_sales)
    _event_at_13_05_utc(acme, acme.manager)
    assert "14:05 CET" in page(acme, acme.manager)
    assert "13:05 UTC" in page(acme, acme.partner_sales)
