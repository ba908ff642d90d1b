"""The partner pipeline: list filters, CSV of the filtered list, board, no N+1; the managers'
pipeline form and API — with the owner / wrong-role (403) / other-tenant (404) trio."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealStatus
from tenancy.context import tenant_context
from tenancy.models import AuditEvent
from tenancy.tests.queries import SESSION_QUERIES

from .pipeline_data import make_account, make_deal

pytestmark = pytest.mark.django_db
API = "/api/v1/deal-pipeline/"


@pytest.fixture
def deals(acme):
    now = timezone.now()
    soon = make_deal(
        acme,
        account=make_account(acme, "Initech", "initech.com"),
        status=DealStatus.APPROVED,
        customer_name="Initech",
        expires_at=now + timedelta(days=5),
        sales_stage="proposal",
        next_step="Send the quote",
        manager_notes="Strong champion",
    )
    later = make_deal(
        acme,
        account=make_account(acme, "Umbrella", "umbrella.com"),
        status=DealStatus.APPROVED,
        customer_name="Umbrella",
        expires_at=now + timedelta(days=60),
    )
    pending = make_deal(acme, customer_name="=cmd|' /C calc'!A0")
    won = make_deal(acme, customer_name="Hooli", status=DealStatus.WON)
    theirs = make_deal(acme, partner=acme.other_partner, customer_name="Theirs Inc")
    return {"soon": soon, "later": later, "pending": pending, "won": won, "theirs": theirs}


def names(response):
    return {deal.customer_name for deal in response.context["deals"]}


def test_list_shows_own_deals_with_filters(acme, deals):
    client = acme.client(acme.partner_sales)
    url = reverse("portal_deals")
    response = client.get(url)
    assert response.status_code == 200
    assert names(response) == {"Initech", "Umbrella", "Hooli", "=cmd|' /C calc'!A0"}
    html = response.content.decode()
    assert "Send the quote" in html and "Strong champion" in html
    assert names(client.get(url, {"status": "approved"})) == {"Initech", "Umbrella"}
    assert names(client.get(url, {"stage": "proposal"})) == {"Initech"}
    assert names(client.get(url, {"expiring": "7"})) == {"Initech"}
    assert names(client.get(url, {"q": "umbr"})) == {"Umbrella"}
    assert client.get(url, {"q": "umbr"}, HTTP_HX_REQUEST="true").status_code == 200


def test_csv_is_the_filtered_list_and_formula_safe(acme, deals):
    response = acme.client(acme.partner_sales).get(
        reverse("portal_deals"), {"format": "csv", "status": "submitted"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["customer"] for row in rows] == ["'=cmd|' /C calc'!A0"]
    assert rows[0]["status"] == "submitted"


def test_board_columns_by_status(acme, deals):
    response = acme.client(acme.partner_admin).get(reverse("portal_deal_board"))
    assert response.status_code == 200
    columns = {
        status: [d.customer_name for d in cards]
        for status, _l, cards in response.context["columns"]
    }
    assert set(columns["approved"]) == {"Initech", "Umbrella"}
    assert columns["won"] == ["Hooli"] and columns["submitted"] == ["=cmd|' /C calc'!A0"]
    assert "Theirs Inc" not in response.content.decode()


def test_pages_are_403_for_vendor_staff_and_partner_marketing(acme, deals):
    for name in ("portal_deals", "portal_deal_board"):
        assert acme.client(acme.admin).get(reverse(name)).status_code == 403
        assert acme.client(acme.partner_marketing).get(reverse(name)).status_code == 403


def test_list_has_no_n_plus_one(acme):
    def add(first, count):
        for i in range(first, first + count):
            make_deal(
                acme,
                account=make_account(acme, f"Contoso {i}", f"contoso{i}.com"),
                status=DealStatus.APPROVED if i % 2 else DealStatus.SUBMITTED,
                sla_due_at=timezone.now() + timedelta(hours=4),
            )

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portal_deals")).status_code == 200
        return len(queries)

    client = acme.client(acme.partner_sales)
    add(0, 3)
    client.get(reverse("portal_deals"))  # warm the session
    few = count_queries()
    add(3, 12)
    assert count_queries() == few


def test_manager_edits_pipeline_fields(acme, deals, globex):
    deal = deals["later"]
    url = reverse("console_deal_pipeline", kwargs={"deal_uuid": deal.uuid})
    data = {"sales_stage": "negotiation", "next_step": "Legal review", "manager_notes": "Push"}
    assert acme.client(acme.manager).post(url, data).status_code == 302
    deal.refresh_from_db()
    assert (deal.sales_stage, deal.next_step, deal.manager_notes) == (
        "negotiation",
        "Legal review",
        "Push",
    )
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(action="deal.pipeline_updated", target_id=str(deal.uuid))
    # not this manager's partner: 404; no decide permission: 403; other tenant: 404
    theirs = reverse("console_deal_pipeline", kwargs={"deal_uuid": deals["theirs"].uuid})
    assert acme.client(acme.manager).post(theirs, data).status_code == 404
    assert acme.client(acme.marketing).post(url, data).status_code == 403
    assert acme.client(acme.partner_admin).post(url, data).status_code == 403
    foreign = make_deal(globex, customer_name="Foreign")
    foreign_url = reverse("console_deal_pipeline", kwargs={"deal_uuid": foreign.uuid})
    assert acme.client(acme.admin).post(foreign_url, data).status_code == 404


def test_api_list_filters_and_pipeline_patch(acme, deals, globex):
    partner = acme.api(acme.partner_sales)
    response = partner.get(API, {"status": "approved"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {r["customer_name"] for r in rows} == {"Initech", "Umbrella"}
    assert all("sla" in r and "lock_expires_at" in r for r in rows)
    url = f"{API}{deals['soon'].uuid}/pipeline/"
    assert partner.patch(url, {"next_step": "x"}, format="json").status_code == 403
    patched = acme.api(acme.manager).patch(url, {"next_step": "Demo"}, format="json")
    assert patched.status_code == 200 and patched.json()["next_step"] == "Demo"
    assert acme.api(acme.sales).get(API).status_code == 403
    foreign = make_deal(globex, customer_name="Foreign")
    assert acme.api(acme.admin).get(f"{API}{foreign.uuid}/").status_code == 404


def test_a_bad_pipeline_edit_shows_the_error_beside_the_field_and_keeps_the_input(acme, deals):
    deal = deals["later"]
    url = reverse("console_deal_pipeline", kwargs={"deal_uuid": deal.uuid})
    data = {"sales_stage": "nonsense", "next_step": "Legal review", "manager_notes": "Push"}
    response = acme.client(acme.manager).post(url, data)
    assert response.status_code == 400
    assert "sales_stage" in response.context["pipeline_form"].errors
    html = response.content.decode()
    assert "invalid-feedback" in html and 'value="Legal review"' in html
    deal.refresh_from_db()
    assert deal.next_step != "Legal review"


def _add_deals(acme, first, count):
    statuses = [DealStatus.APPROVED, DealStatus.SUBMITTED, DealStatus.WON, DealStatus.LOST]
    for i in range(first, first + count):
        make_deal(
            acme,
            account=make_account(acme, f"Contoso {i}", f"contoso{i}.com"),
            status=statuses[i % len(statuses)],
            sla_due_at=timezone.now() + timedelta(hours=4),
            sales_stage="proposal",
            next_step=f"Step {i}",
            manager_notes=f"Note {i}",
        )


@pytest.mark.parametrize("name", ["portal_deals", "portal_deal_board"])
def test_list_and_board_query_counts_are_exact_and_flat(acme, name):
    """The pages read the registrations' shown columns in one query (no join of the partner,
    submitter, account or approver, no per-row load of a deferred column): 3 or 30 registrations,
    the same count."""
    client = acme.client(acme.partner_sales)
    _add_deals(acme, 0, 3)
    client.get(reverse(name))  # warm the session

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(name)).status_code == 200
        return queries

    few = count()
    _add_deals(acme, 3, 27)
    many = count()
    assert (
        len(few) == len(many) == {"portal_deals": 6, "portal_deal_board": 5}[name] + SESSION_QUERIES
    )
    deal_queries = [q["sql"] for q in many if 'FROM "dealreg_dealregistration"' in q["sql"]]
    page_query = deal_queries[-1]
    assert "JOIN" not in page_query and '"partner_notes"' not in page_query


def test_list_and_board_show_every_shown_column(acme, deals):
    """The narrowed rows still show everything the pages showed (and the CSV, whole rows)."""
    client = acme.client(acme.partner_sales)
    html = client.get(reverse("portal_deals")).content.decode()
    soon = deals["soon"]
    for text in ("Initech", "initech.com", "Send the quote", "Strong champion", "Proposal"):
        assert text in html
    assert f'href="/portal/deals/{soon.uuid}/"' in html
    board = client.get(reverse("portal_deal_board")).content.decode()
    for text in ("Initech", "Send the quote", "Lock until", "Hooli", "Proposal"):
        assert text in board
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(reverse("portal_deals"), {"format": "csv"}).content.decode())
        )
    )
    assert {row["partner"] for row in rows} == {acme.partner.name}
