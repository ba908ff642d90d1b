"""Query counts of every MDF page: exact, and the same with 2 rows as with 10 (requests, claims,
payouts, funds, allocations, a request's files and timeline). A count that grows with rows is an
N+1; a count that changes without a reason is a page that started reading something new."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from mdf.models import Allocation
from mdf.services import ledger
from mdf.services import requests as mdf
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.tests.queries import SESSION_QUERIES

from .helpers import PNG, actor, funded, make_fund, proof, request_data

pytestmark = pytest.mark.django_db

# A request's life, in the order it is walked: every list gets rows of every kind.
STAGES = ("review", "approved", "claimed", "claim_approved", "paid")


def _walk(world, allocation, n: int, stage: str, *, files: int = 1, rounds: int = 0):
    """One request of the world's partner taken to `stage` through the services (as the pages
    would); `rounds` "changes requested" / resubmit rounds first (a longer timeline), `files`
    proof files on its claim."""
    partner, manager = actor(world, world.partner_admin), actor(world, world.manager)
    with tenant_context(world.tenant):
        fund_request = mdf.request_submit(
            actor=partner,
            allocation=allocation,
            **request_data(title=f"Activity {n:03d}", amount=Decimal("100")),
        )
        for _round in range(rounds):
            mdf.request_decide(
                actor=manager, fund_request=fund_request, decision="changes", comment="Agenda?"
            )
            fund_request = mdf.request_resubmit(
                actor=partner,
                fund_request=fund_request,
                **request_data(title=f"Activity {n:03d}", amount=Decimal("100")),
            )
        if stage == "review":
            return fund_request
        mdf.request_decide(actor=manager, fund_request=fund_request, decision="approve")
        if stage == "approved":
            return fund_request
        proofs = [("invoice", proof())] + [
            ("photo", proof(f"stand-{i}.png", PNG)) for i in range(files - 1)
        ]
        claim = mdf.claim_submit(
            actor=partner, fund_request=fund_request, spent="90", spent_currency="USD", files=proofs
        )
        if stage == "claimed":
            return fund_request
        claim = mdf.claim_decide(actor=manager, claim=claim, decision="approve")
        if stage == "claim_approved":
            return fund_request
        mdf.payout_record(
            actor=actor(world, world.marketing),
            claim=claim,
            method="bank_transfer",
            reference=f"TRX-{n:03d}",
            paid_on=timezone.localdate(),
        )
        return fund_request


def _add_requests(world, allocation, first: int, per_stage: int) -> int:
    """`per_stage` requests at each stage (numbered from `first`); returns the next number."""
    n = first
    for _i in range(per_stage):
        for stage in STAGES:
            _walk(world, allocation, n, stage)
            n += 1
    return n


def _count(client, url: str, *, htmx: bool = False) -> int:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.content.decode()[:2000])
    return len(queries)


def _counts(world, pages) -> dict[str, int]:
    """{page: queries} for each (page, who, url, htmx), each client's session warmed first."""
    counts = {}
    for page, who, url, htmx in pages:
        client = world.client(world.users[who])
        client.get(url)  # the first request of a session writes it
        counts[page] = _count(client, url, htmx=htmx)
    return counts


def _expected(queries: dict[str, int]) -> dict[str, int]:
    return {page: n + SESSION_QUERIES for page, n in queries.items()}


@pytest.fixture
def allocation(acme):
    _fund, allocation = funded(acme, amount="50000")
    return allocation


# --- Lists: 2 rows of each kind, then 10 --------------------------------------------------------


def _list_pages():
    portal_mdf = reverse("portal_mdf")
    return [
        ("portal balance", "partner_admin", portal_mdf, False),
        ("portal request list (htmx)", "partner_admin", portal_mdf + "?fragment=list", True),
        ("portal new request", "partner_admin", reverse("portal_mdf_request_new"), False),
        ("console board (marketing)", "marketing", reverse("console_mdf"), False),
        ("console board (channel manager)", "manager", reverse("console_mdf"), False),
        ("console requests", "marketing", reverse("console_mdf_requests"), False),
        ("console payouts", "marketing", reverse("console_mdf_payouts"), False),
        ("console ROI", "marketing", reverse("console_mdf_roi"), False),
    ]


# Besides the session: the user and membership; then the page's own. The balance page: its
# allocations (with their funds, and whether each is still open: "may request"), the list's
# capped count and page, the chart's ledger (one query, however many entries), the benefit gate,
# the portal's unread notifications and rules of engagement, the filter's funds. The ROI page reads
# the activities' shared facts once (mdf.roi.funded: amounts, campaigns, claims), then the
# captured leads and the leads' open and won registrations with one read of the exchange rates,
# however many activities.
LIST_QUERIES = {
    "portal balance": 10,
    "portal request list (htmx)": 7,
    "portal new request": 8,
    "console board (marketing)": 13,
    "console board (channel manager)": 12,
    "console requests": 6,
    "console payouts": 5,
    "console ROI": 13,
}


def test_list_pages_query_counts_are_exact_and_flat(acme, allocation):
    """2 requests at every stage (under review, approved, claimed, claim approved, paid), then
    10: every list, the board's sections and the balance chart's ledger read the same queries."""
    upto = _add_requests(acme, allocation, 0, 2)
    few = _counts(acme, _list_pages())
    _add_requests(acme, allocation, upto, 8)
    many = _counts(acme, _list_pages())
    assert few == many == _expected(LIST_QUERIES)


# --- A request's page: a short history, then a long one ----------------------------------------

# Per stage (the page shows a claim, its files and the payout from "claimed" on, and the forms the
# viewer may use at that stage differ), besides the session.
DETAIL_QUERIES = {
    "review": {"portal": 6, "console (channel manager)": 5, "console (marketing)": 5},
    "approved": {"portal": 6, "console (channel manager)": 5, "console (marketing)": 5},
    "claimed": {"portal": 7, "console (channel manager)": 7, "console (marketing)": 6},
    "claim_approved": {"portal": 7, "console (channel manager)": 6, "console (marketing)": 6},
    "paid": {"portal": 7, "console (channel manager)": 6, "console (marketing)": 6},
}


def _detail_pages(fund_request):
    portal = reverse("portal_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    console = reverse("console_mdf_request", kwargs={"request_uuid": fund_request.uuid})
    return [
        ("portal", "partner_admin", portal, False),
        ("console (channel manager)", "manager", console, False),
        ("console (marketing)", "marketing", console, False),
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_request_pages_query_counts_are_exact_and_flat_in_files_and_events(acme, allocation, stage):
    """The same queries for a request with one proof file and a short timeline as for one with
    four files and six more events (three rounds of "changes requested" and resubmission): files
    and events are prefetched, each event's author with it."""
    short = _walk(acme, allocation, 1, stage)
    long = _walk(acme, allocation, 2, stage, files=4, rounds=3)
    few = _counts(acme, _detail_pages(short))
    many = _counts(acme, _detail_pages(long))
    assert few == many == _expected(DETAIL_QUERIES[stage])


# --- Funds: 2 funds / allocations, then 10 -----------------------------------------------------

FUND_QUERIES = {"console funds": 4, "console fund (allocations)": 9}


def _allocate(world, fund, count: int) -> None:
    with tenant_context(world.tenant):
        for _i in range(count):
            partner = PartnerOrganizationFactory(tenant=world.tenant)
            ledger.allocation_set(
                actor=actor(world, world.marketing), fund=fund, partner=partner, amount="100"
            )


def _fund_pages(fund):
    return [
        ("console funds", "marketing", reverse("console_mdf_funds"), False),
        (
            "console fund (allocations)",
            "marketing",
            reverse("console_mdf_fund", kwargs={"fund_uuid": fund.uuid}),
            False,
        ),
    ]


def test_fund_pages_query_counts_are_exact_and_flat(acme, allocation):
    """The funds list with 2 funds, then 10 (totals summed in one grouped query); a fund's page
    with 2 allocations, then 10 (each with its partner)."""
    fund = allocation.fund
    _allocate(acme, fund, 1)
    make_fund(acme, name="Next quarter", budget="1000")
    few = _counts(acme, _fund_pages(fund))
    _allocate(acme, fund, 8)
    for n in range(8):
        make_fund(acme, name=f"Regional fund {n}", budget="1000")
    with tenant_context(acme.tenant):
        assert Allocation.objects.filter(fund=fund).count() == 10
    many = _counts(acme, _fund_pages(fund))
    assert few == many == _expected(FUND_QUERIES)
