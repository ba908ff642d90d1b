"""The fixed cost every request pays (middleware, session, tenant, membership), as exact query
counts on the smallest pages, so a regression in the plumbing fails here first.

In steady state (caches warm) a signed-in page costs: the user (auth), the membership (actor),
then what the page and its layout need. The tenant comes from the host cache (tenancy/hosts.py)
and, with Redis configured, the session from the cache (cached_db); on the embedded default the
session is one more query.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tenancy.tests.queries import SESSION_QUERIES
from tenancy.tests.test_security import key_client, make_key

pytestmark = pytest.mark.django_db


def count_queries(client, url: str, status: int) -> int:
    assert client.get(url).status_code == status  # warm: tenant and session now cached
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == status
    return len(ctx.captured_queries)


# Minimal page: user, membership, the page's preferences, the bell's unread count; the partner
# admin also sees the rules-of-engagement banner, the program admin's role checks TOTP.
@pytest.mark.parametrize(
    ("role", "queries"),
    [
        ("partner_sales", 4),
        ("partner_admin", 5),
        ("manager", 4),
        ("admin", 5),
        ("executive", 4),
    ],
)
def test_minimal_page_query_count_per_role(acme, role, queries):
    client = acme.client(acme.users[role])
    url = reverse("notification_preferences")
    assert count_queries(client, url, 200) == queries + SESSION_QUERIES


@pytest.mark.parametrize(("role", "queries"), [("partner_sales", 2), ("admin", 3)])
def test_home_redirect_query_count(acme, role, queries):
    # user and membership (and TOTP for a role that needs it), then a redirect
    assert count_queries(acme.client(acme.users[role]), "/", 302) == queries + SESSION_QUERIES


def test_anonymous_home_redirect_runs_no_query(acme):
    assert count_queries(acme.client(), "/", 302) == 0


def test_api_key_me_query_count(acme):
    _key, plaintext = make_key(acme, acme.partner_admin, "partner_admin", acme.partner)
    # the key (with its tenant, organisation and creator), the creator's membership; no session
    assert count_queries(key_client(acme, plaintext), "/api/v1/me/", 200) == 2


def test_a_cold_cache_costs_the_tenant_and_session_queries_once(acme):
    client = acme.client(acme.partner_sales)
    url = reverse("notification_preferences")
    warm = count_queries(client, url, 200)
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200  # still signed in: the database holds it
    assert len(ctx.captured_queries) == warm + 1 + (1 - SESSION_QUERIES)
    assert count_queries(client, url, 200) == warm
