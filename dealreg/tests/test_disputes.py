"""Disputes: raise, comment, decide (each outcome's effect, audited, participants emailed); console
and portal pages and the API, with the owner / wrong-role (403) / other-tenant (404) trio."""

from __future__ import annotations

import csv
import io

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealreg.models import DealEvent, DealStatus, DisputeStatus
from dealreg.services.disputes import dispute_comment, dispute_decide, dispute_raise
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .pipeline_data import actor, make_account, make_deal

pytestmark = pytest.mark.django_db
API = "/api/v1/deal-disputes/"


@pytest.fixture
def locked(acme):
    account = make_account(acme, "Initech", "initech.com", owner=None)
    deal = make_deal(acme, account=account, status=DealStatus.APPROVED)
    return account, deal


def raise_one(world, account, user=None, **kwargs):
    with tenant_context(world.tenant):
        return dispute_raise(
            actor=actor(world, user or world.sales),
            account=account,
            reason="We have worked this account for a year.",
            **kwargs,
        )


def decide(world, dispute, outcome, user=None):
    with tenant_context(world.tenant):
        return dispute_decide(
            actor=actor(world, user or world.admin), dispute=dispute, outcome=outcome, note="Ruled."
        )


def test_raise_links_the_lock_and_emails_participants(
    acme, locked, django_capture_on_commit_callbacks
):
    account, deal = locked
    with django_capture_on_commit_callbacks(execute=True):
        dispute = raise_one(acme, account)
    assert dispute.registration == deal and dispute.status == DisputeStatus.OPEN
    # One message per recipient (nobody sees the others' addresses).
    assert all(len(m.to) == 1 for m in mail.outbox)
    assert {m.to[0] for m in mail.outbox} == {acme.manager.email, acme.partner_sales.email}
    assert all("Initech" in m.subject for m in mail.outbox)


def test_partner_raises_only_about_own_registration(acme, locked):
    account, deal = locked
    raise_one(acme, account, user=acme.partner_admin, registration=deal)
    with pytest.raises(PermissionDenied):
        raise_one(acme, account, user=acme.other_partner_admin)
    with pytest.raises(PermissionDenied):  # partner sales: no dispute permission
        raise_one(acme, account, user=acme.partner_sales, registration=deal)
    with pytest.raises(PermissionDenied):
        raise_one(acme, account, user=acme.marketing)


def test_lock_released_expires_the_registration_audited(acme, locked):
    account, deal = locked
    dispute = raise_one(acme, account)
    dispute = decide(acme, dispute, "lock_released")
    deal.refresh_from_db()
    assert dispute.status == DisputeStatus.DECIDED and dispute.outcome == "lock_released"
    assert dispute.decided_by == acme.admin and dispute.decision_note == "Ruled."
    assert deal.status == DealStatus.EXPIRED
    with tenant_context(acme.tenant):
        assert DealEvent.objects.filter(registration=deal, note="Ruled.", to_status="expired")
        event = AuditEvent.objects.get(action="dispute.decided", target_id=str(dispute.uuid))
    assert event.changes["outcome"] == "lock_released"


def test_partner_awarded_clears_the_direct_owner(acme, locked):
    account, deal = locked
    with tenant_context(acme.tenant):
        account.owner = acme.sales
        account.save()
    dispute = decide(acme, raise_one(acme, account), "partner_awarded")
    account.refresh_from_db()
    deal.refresh_from_db()
    assert account.owner is None and deal.status == DealStatus.APPROVED
    assert dispute.outcome == "partner_awarded"


def test_direct_keeps_expires_and_keeps_owner_upheld_changes_nothing(acme, locked):
    account, deal = locked
    with tenant_context(acme.tenant):
        account.owner = acme.sales
        account.save()
    decide(acme, raise_one(acme, account), "lock_upheld")
    deal.refresh_from_db()
    account.refresh_from_db()
    assert deal.status == DealStatus.APPROVED and account.owner == acme.sales
    decide(acme, raise_one(acme, account), "direct_keeps")
    deal.refresh_from_db()
    account.refresh_from_db()
    assert deal.status == DealStatus.EXPIRED and account.owner == acme.sales


def test_only_admins_decide_and_only_once(acme, locked):
    account, _deal = locked
    dispute = raise_one(acme, account)
    with pytest.raises(PermissionDenied):
        decide(acme, dispute, "lock_upheld", user=acme.manager)
    decide(acme, dispute, "lock_upheld")
    with pytest.raises(ValidationError):
        decide(acme, dispute, "lock_released")


def test_comments_by_participants_only(acme, locked):
    account, deal = locked
    dispute = raise_one(acme, account)
    with tenant_context(acme.tenant):
        for user in (acme.sales, acme.manager, acme.admin, acme.partner_admin, acme.partner_sales):
            dispute_comment(actor=actor(acme, user), dispute=dispute, body="Noted.")
        for user in (acme.marketing, acme.other_partner_admin, acme.partner_marketing):
            with pytest.raises(PermissionDenied):
                dispute_comment(actor=actor(acme, user), dispute=dispute, body="Hi")
        assert dispute.comments.count() == 5


# --- Pages -----------------------------------------------------------------------------------


def test_console_pages_and_decide_form(acme, locked, globex):
    account, deal = locked
    dispute = raise_one(acme, account)
    url = reverse("console_dispute_detail", kwargs={"dispute_uuid": dispute.uuid})
    assert acme.client(acme.sales).get(reverse("console_disputes")).status_code == 200
    assert acme.client(acme.sales).get(url).status_code == 200
    admin = acme.client(acme.admin)
    response = admin.post(url, {"action": "decide", "outcome": "lock_released", "note": "Direct."})
    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.status == DealStatus.EXPIRED
    # a manager may not decide (403), a partner gets no console (403), other tenant: 404
    other = raise_one(acme, account)
    other_url = reverse("console_dispute_detail", kwargs={"dispute_uuid": other.uuid})
    assert (
        acme.client(acme.manager)
        .post(other_url, {"action": "decide", "outcome": "lock_upheld", "note": "x"})
        .status_code
        == 403
    )
    assert acme.client(acme.partner_admin).get(other_url).status_code == 403
    foreign_account = make_account(globex, "Hooli", "hooli.com")
    foreign = raise_one(globex, foreign_account)
    foreign_url = reverse("console_dispute_detail", kwargs={"dispute_uuid": foreign.uuid})
    assert acme.client(acme.admin).get(foreign_url).status_code == 404


def test_raise_from_the_account_page(acme, locked):
    account, _deal = locked
    url = reverse("console_dispute_raise", kwargs={"account_uuid": account.uuid})
    response = acme.client(acme.sales).post(url, {"reason": "Ours since 2020."})
    assert response.status_code == 302
    assert acme.client(acme.sales).post(url, {"reason": ""}).status_code == 400
    assert acme.client(acme.executive).post(url, {"reason": "x"}).status_code == 403


def test_portal_dispute_page_for_own_partner_only(acme, locked):
    account, _deal = locked
    dispute = raise_one(acme, account)
    url = reverse("portal_dispute_detail", kwargs={"dispute_uuid": dispute.uuid})
    client = acme.client(acme.partner_admin)
    assert client.get(url).status_code == 200
    assert client.get(reverse("portal_disputes")).status_code == 200
    assert client.post(url, {"action": "comment", "body": "We disagree."}).status_code == 302
    assert (
        client.post(url, {"action": "decide", "outcome": "lock_upheld", "note": "x"}).status_code
        == 400
    )
    assert acme.client(acme.other_partner_admin).get(url).status_code == 404
    assert acme.client(acme.partner_marketing).get(url).status_code == 403
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


# --- API -------------------------------------------------------------------------------------


def test_api_raise_comment_decide(acme, locked, globex):
    account, deal = locked
    sales = acme.api(acme.sales)
    created = sales.post(API, {"account": str(account.uuid), "reason": "Ours."}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["registration"] == str(deal.uuid)
    url = f"{API}{body['id']}/"
    assert sales.post(f"{url}comment/", {"body": "See CRM."}, format="json").status_code == 201
    assert (
        sales.post(
            f"{url}decide/", {"outcome": "lock_upheld", "note": "x"}, format="json"
        ).status_code
        == 403
    )
    decided = acme.api(acme.admin).post(
        f"{url}decide/", {"outcome": "lock_released", "note": "Released."}, format="json"
    )
    assert decided.status_code == 200 and decided.json()["outcome"] == "lock_released"
    assert acme.api(acme.partner_admin).get(url).status_code == 200
    assert acme.api(acme.other_partner_admin).get(url).status_code == 404
    assert acme.api(acme.partner_marketing).get(API).status_code == 403
    foreign = raise_one(globex, make_account(globex, "Hooli", "hooli.com"))
    assert acme.api(acme.admin).get(f"{API}{foreign.uuid}/").status_code == 404


def test_partner_admin_raises_from_the_pipeline(acme, locked):
    _account, deal = locked
    url = reverse("portal_dispute_raise", kwargs={"deal_uuid": deal.uuid})
    response = acme.client(acme.partner_admin).post(url, {"reason": "Direct rep called them."})
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert deal.disputes.get().raised_by == acme.partner_admin
    assert acme.client(acme.partner_sales).post(url, {"reason": "x"}).status_code == 403
    assert acme.client(acme.other_partner_admin).post(url, {"reason": "x"}).status_code == 404
    detail = reverse("portal_deal_detail", kwargs={"deal_uuid": deal.uuid})
    assert "Raise a dispute" in acme.client(acme.partner_admin).get(detail).content.decode()


def test_decision_emails_the_participants(acme, locked, django_capture_on_commit_callbacks):
    account, _deal = locked
    dispute = raise_one(acme, account)
    with django_capture_on_commit_callbacks(execute=True):
        decide(acme, dispute, "lock_upheld")
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        {acme.sales.email, acme.manager.email, acme.partner_sales.email}
    )
    assert all("decided" in m.subject for m in mail.outbox)


def test_comment_and_decision_sent_with_a_key_name_the_person_behind_it(acme, locked):
    from rest_framework.test import APIClient

    from tenancy import services as tenancy_services

    account, _deal = locked
    dispute = raise_one(acme, account)
    with tenant_context(acme.tenant):
        _, plaintext = tenancy_services.api_key_create(
            actor=actor(acme, acme.admin), name="Helpdesk", role="program_admin"
        )
    client = APIClient(HTTP_HOST=acme.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    url = f"{API}{dispute.uuid}/"
    response = client.post(f"{url}comment/", {"body": "Checked the CRM."}, format="json")
    assert response.status_code == 201
    comment = client.get(url).json()["comments"][-1]
    assert comment["author"] == acme.admin.email and comment["via_api_key"] == "Helpdesk"
    decided = client.post(f"{url}decide/", {"outcome": "lock_upheld", "note": "Stays."})
    assert decided.status_code == 200 and decided.json()["decided_by"] == acme.admin.email
    page = acme.client(acme.admin).get(
        reverse("console_dispute_detail", kwargs={"dispute_uuid": dispute.uuid})
    )
    assert "via API key “Helpdesk”" in page.content.decode()
    # A comment made in person shows no key.
    with tenant_context(acme.tenant):
        in_person = dispute_comment(actor=actor(acme, acme.sales), dispute=dispute, body="Ok.")
    assert in_person.author == acme.sales and in_person.api_key is None


def test_console_disputes_list_filters_sorts_pages_and_exports(acme, locked, globex):
    account, _deal = locked
    first = raise_one(acme, account)
    decide(acme, first, "lock_upheld")
    other = make_account(acme, "Hooli", "hooli.com")
    raise_one(acme, other)
    make_deal(globex, account=make_account(globex, "Umbrella", "umbrella.com"))
    client = acme.client(acme.sales)
    url = reverse("console_disputes")

    def names(response):
        return [d.account.name for d in response.context["listing"].page]

    assert names(client.get(url)) == ["Hooli"]  # the open ones first
    assert names(client.get(url, {"status": ""})) == ["Hooli", "Initech"]
    assert names(client.get(url, {"status": "decided"})) == ["Initech"]
    assert names(client.get(url, {"outcome": "lock_upheld", "status": ""})) == ["Initech"]
    assert names(client.get(url, {"q": "hoo", "status": ""})) == ["Hooli"]
    assert names(client.get(url, {"status": "", "sort": "account"})) == ["Hooli", "Initech"]
    assert names(client.get(url, {"status": "", "sort": "-account"})) == ["Initech", "Hooli"]
    bad = client.get(url, {"status": "nonsense"})
    assert "status" in bad.context["listing"].form.errors and names(bad) == []
    html = client.get(url).content.decode()
    assert "Export CSV" in html and "Showing 1–1 of 1" in html
    export = client.get(url, {"status": "", "format": "csv"})
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["Account"] for r in rows] == ["Hooli", "Initech"]
    assert rows[1]["Outcome"] == "The partner keeps the lock" and rows[1]["Status"] == "Decided"
    assert acme.client(acme.partner_sales).get(url).status_code == 403
    assert globex.client(globex.admin).get(url, {"status": ""}).context["listing"].page.count == 0
