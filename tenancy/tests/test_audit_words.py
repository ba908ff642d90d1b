"""The audit log speaks people's words: no action codes, field names, model labels, Python lists."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenancy.access import Actor
from tenancy.audit import audit_describe, audit_record, describe_changes
from tenancy.context import tenant_context
from tenancy.models import Membership

pytestmark = pytest.mark.django_db


def _membership(world, user):
    with tenant_context(world.tenant):
        return Membership.objects.get(user=user)


def test_a_role_change_reads_as_words(acme):
    member = _membership(acme, acme.partner_sales)
    with tenant_context(acme.tenant):
        event = audit_record(
            actor=Actor(tenant=acme.tenant, user=acme.admin),
            action="membership.role_changed",
            target=member,
            changes={"role": ["partner_sales", "partner_admin"]},
        )
    described = audit_describe(event)
    assert described.action == "Role changed"
    assert described.target_kind == "Membership"
    assert [(line.label, line.text) for line in described.changes] == [
        ("Role", "Partner sales → Partner admin")
    ]


def test_activation_is_yes_no_not_python(acme):
    lines = describe_changes({"is_active": [False, True]})
    assert [(line.label, line.text) for line in lines] == [("Active", "No → Yes")]


def test_unregistered_codes_still_read_as_words():
    lines = describe_changes(
        {
            "fields": ["name", "is_active"],
            "expires_at": ["2026-12-04T14:05:00+00:00", None],
            "owner": [None, "manager@acme.test"],
            "kind": "direct_owned",
            "seats": 1500,
            "estimated_value": "614500.00 USD",
        }
    )
    texts = {line.label: line.text for line in lines}
    assert texts == {
        "Fields changed": "Name, Active",
        "Expires at": "4 Dec 2026, 14:05 UTC → —",
        "Owner": "— → manager@acme.test",
        "Kind": "Direct owned",
        "Seats": "1,500",
        "Estimated value": "614,500.00 USD",
    }


def test_audit_log_page_shows_words_not_codes(acme):
    member = _membership(acme, acme.partner_sales)
    with tenant_context(acme.tenant):
        audit_record(
            actor=Actor(tenant=acme.tenant, user=acme.admin),
            action="membership.activated",
            target=member,
            changes={"is_active": [True, False]},
        )
    html = acme.client(acme.admin).get(reverse("console_audit_log")).content.decode()
    assert "Access changed" in html and "Active:</span> Yes → No" in html
    for code in ("membership.activated", "tenancy.membership", "is_active", "[True, False]"):
        assert code not in html


def test_audit_log_query_count_does_not_grow_with_rows(acme):
    member = _membership(acme, acme.partner_sales)
    actor = Actor(tenant=acme.tenant, user=acme.admin)
    client = acme.client(acme.admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("console_audit_log")).status_code == 200
        return len(ctx)

    with tenant_context(acme.tenant):
        audit_record(actor=actor, action="membership.activated", target=member, changes={})
    before = queries()
    with tenant_context(acme.tenant):
        for _ in range(10):
            audit_record(actor=actor, action="membership.role_changed", target=member, changes={})
    assert queries() == before


def test_audit_log_owner_member_outsider(acme, globex):
    assert acme.client(acme.admin).get(reverse("console_audit_log")).status_code == 200
    assert acme.client(acme.manager).get(reverse("console_audit_log")).status_code == 403
    assert acme.client(globex.admin).get(reverse("console_audit_log")).status_code in (403, 404)


def test_codes_under_computed_keys_read_as_their_choice_labels():
    from tenancy.audit import describe_value

    assert describe_value(["isv"], "partner_types") == "ISV / technology"
    assert describe_value("offline", "method") == "Signed offline (contract uploaded)"
    assert describe_value("some words", "note") == "some words"  # prose stays prose
