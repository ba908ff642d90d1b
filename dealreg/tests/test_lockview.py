"""The deal-lock view and account claims: search by name / domain (fixed query count), the account
page, the claim refused while a partner holds the lock, and the API — each with the owner /
wrong-role (403) / other-tenant (404) trio."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealStatus
from dealreg.selectors.lockview import lock_search
from dealreg.services.claims import account_claim
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

from .pipeline_data import actor, make_account, make_deal

pytestmark = pytest.mark.django_db
API = "/api/v1/customer-accounts/"


@pytest.fixture
def locked(acme):
    account = make_account(acme, "Initech Corporation", "initech.com")
    deal = make_deal(acme, account=account, status=DealStatus.APPROVED)
    return account, deal


# --- Selector --------------------------------------------------------------------------------


def test_search_by_name_and_domain_shows_lock_partner_and_manager(acme, locked):
    account, deal = locked
    free = make_account(acme, "Initrode", "initrode.com")
    with tenant_context(acme.tenant):
        by_name = lock_search(actor(acme, acme.sales), "initech")
        by_domain = lock_search(actor(acme, acme.sales), "https://www.INITECH.com/x")
        by_parent = lock_search(actor(acme, acme.sales), "init")
    # Best match first (a trigram-similar "Initrode" may follow on PostgreSQL).
    assert by_name[0].pk == account.pk
    assert by_domain[0].pk == account.pk
    assert {a.pk for a in by_parent} == {account.pk, free.pk}
    hit = by_name[0]
    (lock,) = hit.current_locks
    assert lock.pk == deal.pk
    assert lock.partner.channel_manager == acme.manager
    assert hit.open_disputes == 0
    assert next(a for a in by_parent if a.pk == free.pk).current_locks == []


def test_subdomain_search_and_expired_lock_is_not_a_lock(acme):
    account = make_account(acme, "Globo Gym", "eu.globogym.com")
    make_deal(
        acme,
        account=account,
        status=DealStatus.APPROVED,
        expires_at=timezone.now() - timedelta(days=1),
    )
    with tenant_context(acme.tenant):
        (hit,) = lock_search(actor(acme, acme.sales), "globogym.com")
    assert hit.pk == account.pk and hit.current_locks == []


def test_trigram_search_finds_a_misspelt_name(acme, locked):
    account, _deal = locked
    with tenant_context(acme.tenant):
        hits = lock_search(actor(acme, acme.sales), "Inytech")
    if connection.vendor != "postgresql":
        pytest.skip("trigram similarity is PostgreSQL only")
    assert account.pk in [a.pk for a in hits]


@pytest.mark.parametrize("n", [3, 30])
def test_search_takes_the_same_queries_whatever_the_data_size(acme, n):
    for i in range(n):
        account = make_account(acme, f"Contoso {i}", f"contoso{i}.com")
        if i % 2:
            make_deal(acme, account=account, status=DealStatus.APPROVED)
    with tenant_context(acme.tenant):
        sales = actor(acme, acme.sales)
        with CaptureQueriesContext(connection) as queries:
            hits = lock_search(sales, "contoso")
            for hit in hits:
                for lock in hit.current_locks:
                    _ = (lock.partner.name, lock.partner.channel_manager, hit.owner)
    assert len(hits) == min(n, 25)
    # Accounts + their locks; on PostgreSQL first the typed words are looked up in the
    # vocabulary (known words: no spelling search).
    assert len(queries) == (3 if connection.vendor == "postgresql" else 2)


# --- Claim -----------------------------------------------------------------------------------


def test_claim_of_a_locked_account_is_refused_naming_the_partner(acme, locked):
    account, deal = locked
    with tenant_context(acme.tenant):
        with pytest.raises(ValidationError) as refused:
            account_claim(actor=actor(acme, acme.sales), account=account)
        account.refresh_from_db()
    assert acme.partner.name in refused.value.messages[0]
    assert account.owner is None


def test_claim_of_a_free_account_sets_owner_and_is_audited(acme):
    account = make_account(acme, "Umbrella", "umbrella.com")
    with tenant_context(acme.tenant):
        account_claim(actor=actor(acme, acme.sales), account=account)
        account.refresh_from_db()
        assert AuditEvent.objects.filter(action="account.claimed", target_id=str(account.uuid))
    assert account.owner == acme.sales and account.claimed_at is not None


def test_claim_needs_the_direct_sales_role(acme):
    account = make_account(acme, "Umbrella", "umbrella.com")
    with tenant_context(acme.tenant):
        for user in (acme.manager, acme.marketing, acme.partner_admin):
            with pytest.raises(PermissionDenied):
                account_claim(actor=actor(acme, user), account=account)


# --- Pages -----------------------------------------------------------------------------------


def test_lock_page_for_sales_with_htmx_partial(acme, locked):
    client = acme.client(acme.sales)
    response = client.get(reverse("console_deal_locks"), {"q": "initech"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "LOCKED" in html and acme.partner.name in html and acme.manager.email in html
    partial = client.get(reverse("console_deal_locks"), {"q": "initech"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode() and "LOCKED" in partial.content.decode()


def test_lock_page_is_403_for_partner_users(acme):
    for user in (acme.partner_admin, acme.partner_sales):
        assert acme.client(user).get(reverse("console_deal_locks")).status_code == 403


def test_account_page_and_claim_button(acme, locked, globex):
    account, _deal = locked
    response = acme.client(acme.sales).get(
        reverse("console_account_detail", kwargs={"account_uuid": account.uuid})
    )
    assert response.status_code == 200
    assert "Claim this account" in response.content.decode()
    # other tenant's account: 404; partner: 403
    foreign = make_account(globex, "Initech", "initech.com")
    url = reverse("console_account_detail", kwargs={"account_uuid": foreign.uuid})
    assert acme.client(acme.sales).get(url).status_code == 404
    assert (
        acme.client(acme.partner_admin)
        .get(reverse("console_account_detail", kwargs={"account_uuid": account.uuid}))
        .status_code
        == 403
    )


def test_claim_over_http_refused_when_locked_then_allowed(acme, locked):
    account, _deal = locked
    client = acme.client(acme.sales)
    url = reverse("console_account_claim", kwargs={"account_uuid": account.uuid})
    response = client.post(url)
    assert response.status_code == 409
    assert acme.partner.name in response.content.decode()
    free = make_account(acme, "Umbrella", "umbrella.com")
    response = client.post(reverse("console_account_claim", kwargs={"account_uuid": free.uuid}))
    assert response.status_code == 302
    free.refresh_from_db()
    assert free.owner == acme.sales
    assert acme.client(acme.marketing).post(url).status_code == 403


# --- API -------------------------------------------------------------------------------------


def test_api_search_retrieve_and_claim(acme, locked, globex):
    account, deal = locked
    api = acme.api(acme.sales)
    response = api.get(API, {"q": "initech.com"})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["locked"] is True
    assert row["lock"]["partner_name"] == acme.partner.name
    assert row["lock"]["channel_manager_email"] == acme.manager.email
    assert api.get(f"{API}{account.uuid}/").json()["id"] == str(account.uuid)
    refused = api.post(f"{API}{account.uuid}/claim/")
    assert refused.status_code == 400
    free = make_account(acme, "Umbrella", "umbrella.com")
    claimed = api.post(f"{API}{free.uuid}/claim/")
    assert claimed.status_code == 200 and claimed.json()["owner"] == acme.sales.email
    foreign = make_account(globex, "Hooli", "hooli.com")
    assert api.get(f"{API}{foreign.uuid}/").status_code == 404
    assert api.post(f"{API}{foreign.uuid}/claim/").status_code == 404
    assert acme.api(acme.partner_admin).get(API).status_code == 403
    assert acme.api(acme.marketing).post(f"{API}{free.uuid}/claim/").status_code == 403


def test_every_id_route_of_these_areas_is_404_for_another_tenants_objects(acme, globex):
    """The isolation walk's rule for this helper's routes: GET and POST both 404 (or 405)."""
    from dealreg.services.disputes import dispute_raise

    account = make_account(globex, "Hooli", "hooli.com")
    deal = make_deal(globex, account=account, status=DealStatus.APPROVED)
    with tenant_context(globex.tenant):
        dispute = dispute_raise(actor=actor(globex, globex.sales), account=account, reason="x")
    console = [
        ("console_account_detail", {"account_uuid": account.uuid}),
        ("console_account_claim", {"account_uuid": account.uuid}),
        ("console_dispute_raise", {"account_uuid": account.uuid}),
        ("console_dispute_detail", {"dispute_uuid": dispute.uuid}),
        ("console_deal_pipeline", {"deal_uuid": deal.uuid}),
    ]
    portal = [
        ("portal_dispute_detail", {"dispute_uuid": dispute.uuid}),
        ("portal_dispute_raise", {"deal_uuid": deal.uuid}),
        ("portal_deal_outcome", {"deal_uuid": deal.uuid}),
    ]
    api = [
        f"/api/v1/customer-accounts/{account.uuid}/",
        f"/api/v1/customer-accounts/{account.uuid}/claim/",
        f"/api/v1/deal-disputes/{dispute.uuid}/",
        f"/api/v1/deal-disputes/{dispute.uuid}/comment/",
        f"/api/v1/deal-disputes/{dispute.uuid}/decide/",
        f"/api/v1/deal-pipeline/{deal.uuid}/",
        f"/api/v1/deal-pipeline/{deal.uuid}/outcome/",
        f"/api/v1/deal-pipeline/{deal.uuid}/pipeline/",
    ]
    for routes, user in ((console, acme.admin), (portal, acme.partner_admin)):
        client = acme.client(user)
        for name, kwargs in routes:
            url = reverse(name, kwargs=kwargs)
            codes = {client.get(url).status_code, client.post(url).status_code}
            assert codes <= {404, 405} and 404 in codes, (url, codes)
    client = acme.api(acme.admin)
    for url in api:
        codes = {client.get(url).status_code, client.post(url).status_code}
        if url.endswith("/pipeline/"):
            codes.add(client.patch(url).status_code)
        assert codes <= {404, 405} and 404 in codes, (url, codes)


def test_a_search_with_more_than_a_page_says_so_and_pages(acme):
    for i in range(27):
        make_account(acme, f"Contoso {i:02d}", f"contoso{i:02d}.com")
    client = acme.client(acme.sales)
    url = reverse("console_deal_locks")
    first = client.get(url, {"q": "contoso"})
    assert first.status_code == 200
    results = first.context["results"]
    assert (len(results.accounts), results.has_next, results.number) == (25, True, 1)
    html = first.content.decode()
    assert "More accounts match" in html and "Accounts 1–25" in html
    assert "?q=contoso&amp;page=2" in html
    second = client.get(url, {"q": "contoso", "page": "2"})
    results = second.context["results"]
    assert (len(results.accounts), results.has_next, results.has_previous) == (2, False, True)
    seen = {a.pk for a in first.context["accounts"]} | {a.pk for a in results.accounts}
    assert len(seen) == 27  # no account skipped or repeated across pages
    html = second.content.decode()
    assert "More accounts match" not in html and "Accounts 26–27" in html
    assert client.get(url, {"q": "contoso", "page": "x"}).context["results"].number == 1
    # The API pages the same way.
    api = acme.api(acme.sales)
    body = api.get("/api/v1/customer-accounts/", {"q": "contoso"}).json()
    assert body["count"] == 25 and "page=2" in body["next"] and body["previous"] is None
    body = api.get(body["next"]).json()
    assert body["count"] == 2 and body["next"] is None and body["previous"]
    # Wrong role and other tenant.
    assert acme.client(acme.partner_sales).get(url, {"q": "contoso"}).status_code == 403


def test_a_search_of_one_page_does_not_claim_more(acme):
    for i in range(25):
        make_account(acme, f"Contoso {i:02d}", f"contoso{i:02d}.com")
    response = acme.client(acme.sales).get(reverse("console_deal_locks"), {"q": "contoso"})
    assert not response.context["results"].has_next
    assert "More accounts match" not in response.content.decode()
