"""The bell through the API: a person's own notifications (a key: its creator's), unread ones,
mark one or all read; someone else's is 404; a key needs the account scope."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tenancy import services
from tenancy.context import tenant_context
from tenancy.models import Notification

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications/"


def bell(world, user, title, read=False) -> Notification:
    from django.utils import timezone

    with tenant_context(world.tenant):
        return Notification.objects.create(
            recipient=user,
            kind="tenancy.invitation",
            title=title,
            url="/portal/",
            read_at=timezone.now() if read else None,
        )


def test_a_person_reads_and_clears_their_own_notifications(acme):
    mine = bell(acme, acme.partner_sales, "Your deal was approved")
    bell(acme, acme.partner_sales, "Old news", read=True)
    theirs = bell(acme, acme.partner_admin, "Not yours")
    api = acme.api(acme.partner_sales)
    body = api.get(API).json()
    assert {row["title"] for row in body["results"]} == {"Old news", "Your deal was approved"}
    assert "Not yours" not in str(body)
    unread = api.get(API, {"unread": "true"}).json()["results"]
    assert [row["id"] for row in unread] == [str(mine.uuid)]
    assert unread[0]["kind_label"] and unread[0]["is_read"] is False
    assert api.get(f"{API}{theirs.uuid}/").status_code == 404
    assert api.post(f"{API}{theirs.uuid}/read/").status_code == 404
    answer = api.post(f"{API}{mine.uuid}/read/")
    assert answer.status_code == 200 and answer.json()["is_read"] is True
    assert api.get(API, {"unread": "true"}).json()["results"] == []
    bell(acme, acme.partner_sales, "Another")
    assert api.post(f"{API}read-all/").json() == {"marked_read": 1}
    with tenant_context(acme.tenant):
        theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_key_reads_its_creators_notifications_with_the_account_scope(acme):
    bell(acme, acme.partner_admin, "For the admin")
    with tenant_context(acme.tenant):
        _key, scoped = services.api_key_create(
            actor=acme.actor(acme.partner_admin),
            name="A",
            role="partner_sales",
            scopes=["deals:read"],
        )
        _key, full = services.api_key_create(
            actor=acme.actor(acme.partner_admin), name="B", role="partner_sales"
        )
    acme.warm_host_cache()

    def with_key(plaintext):
        return APIClient(HTTP_HOST=acme.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")

    assert with_key(scoped).get(API).status_code == 403
    rows = with_key(full).get(API).json()["results"]
    assert [row["title"] for row in rows] == ["For the admin"]
