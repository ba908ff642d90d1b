"""Human words on every screen: every console and portal page of every demo role in both demo
tenants (tests/walk_support.py says what "every page" means) renders without a 4xx/5xx, and its
visible text holds no internal code — choice values, model field names and labels, Python reprs,
Django's raw integer limit.

The demo is seeded once for the module inside a transaction rolled back at the end; the walk runs
once (Django test client) and each test reads its share of the result."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

import pytest
from django.db import transaction
from django.test import Client, TestCase, override_settings

from tests import walk_support as ws

pytestmark = pytest.mark.django_db


def client_fetch(client: Client, host: str):
    def fetch(path: str) -> ws.Fetched:
        response = client.get(path)
        # Follow redirects on the tenant's host only (an outside site is not walked).
        for _hop in range(5):
            if response.status_code not in (301, 302, 303, 307, 308):
                break
            target = urlsplit(urljoin(path, response["Location"]))
            if target.netloc and target.netloc != host:
                return ws.Fetched(response.status_code, path, offsite=response["Location"])
            path = target.path + (f"?{target.query}" if target.query else "")
            response = client.get(path)
        got = ws.Fetched(response.status_code, urlsplit(path).path)
        got.content_type = response.get("Content-Type", "")
        if response.streaming:
            # NOTE: consumed, not close()d: the test client's closing wrapper keeps the
            # connection (a bare close() signals request_finished, which drops it mid-atomic).
            b"".join(response.streaming_content)
        elif got.content_type.startswith("text/html"):
            got.segments, got.links = ws.read_html(response.content.decode())
        return got

    return fetch


@pytest.fixture(scope="module")
def walked(django_db_setup, django_db_blocker, tmp_path_factory):
    """{(tenant slug, role): [Visit, ...]} over the demo, rolled back afterwards."""
    from prm.demo import seed_demo

    media = tmp_path_factory.mktemp("walk-media")
    results: dict[tuple[str, str], list[ws.Visit]] = {}
    with (
        django_db_blocker.unblock(),
        override_settings(MEDIA_ROOT=media),
        transaction.atomic(),
    ):
        # What the demo's commit would set off (scores, milestones...) runs, as in `make demo`.
        with TestCase.captureOnCommitCallbacks(execute=True):
            seed_demo()
            ws.add_missing_kinds()
        for slug in ws.DEMO_TENANTS:
            for role in ws.ROLES:
                who = ws.walker(slug, role)
                client = Client(HTTP_HOST=who.host())
                client.force_login(who.user)
                results[(slug, role)] = ws.walk_pages(who, client_fetch(client, who.host()))
        transaction.set_rollback(True)
    return results


@pytest.mark.parametrize("role", ws.ROLES)
@pytest.mark.parametrize("tenant", ws.DEMO_TENANTS)
def test_every_page_of_the_role_opens_and_speaks_human(walked, tenant, role):
    visits = walked[(tenant, role)]
    opened = ws.pages_opened(visits)
    # The walk really walked: the home page and the role's whole menu at least.
    assert f"{ws.surface_of(role)}_home" in opened
    bad = ws.failures(visits)
    assert not bad, f"{len(bad)} of {len(visits)} pages:\n" + "\n".join(map(str, bad))


def test_every_console_and_portal_page_is_walked_by_some_role(walked):
    """Each GET page of the URLconf opened for at least one role (one demo object of each kind);
    a route that answers 405 to GET is an action. A page nobody could open is either missing demo
    data or a page no role may see."""
    visits = [v for role_visits in walked.values() for v in role_visits]
    opened = ws.pages_opened(visits)
    missing = sorted(
        name
        for name in ws.surface_patterns()
        if name not in opened and not ws.is_action(visits, name)
    )
    detail = {
        name: sorted(
            {
                f"{v.role}:{v.status}" + (" (no demo object)" if "no demo" in v.how else "")
                for v in visits
                if v.url_name == name
            }
        )
        for name in missing
    }
    assert not missing, "pages no role opened:\n" + "\n".join(f"{n} {detail[n]}" for n in missing)


def test_the_checker_finds_each_kind_of_internal_word():
    segments, _links = ws.read_html(
        """<table><tr><td>direct_owned</td><td>submitted</td></tr></table>
        <p title="partner_admin">Also required: customer_domain, region</p>
        <p>Max (partner_admin) changed ['name', 'website'] — activated True</p>
        <p>submitted → Submitted</p><p>partners.partnerorganization 42</p>
        <p>Ensure this value is less than or equal to 9223372036854775807.</p>
        <table><tr><td>Owner</td><td>None</td></tr></table><h1>Welcome to {{ program_name }}</h1>
        <textarea>Hello {{ first_name }}</textarea>
        <code>partner_type</code>"""
    )
    found = "\n".join(ws.internal_words(segments))
    for expected in (
        "'direct_owned'",
        "'submitted'",
        "'customer_domain'",
        "'partner_admin'",
        "\"['name', 'website']\"",
        "'True'",
        "'partners.partnerorganization'",
        "'9223372036854775807'",
        "'None'",
        "'{{ program_name }}'",
    ):
        assert expected in found, expected
    assert "partner_type" not in found  # inside <code>: deliberately technical
    assert "first_name" not in found  # what the user is editing


def test_the_checker_passes_human_words():
    segments, _links = ws.read_html(
        """<p>Your registration was submitted and is pending review.</p>
        <td>Submitted</td><td>Direct-owned account</td><td>1,027,247</td><td>$614,500.00</td>
        <span data-x="partner_admin">Partner admin</span><a href="/x/?state=active">Active</a>
        <p>Write to sales@acme.example or open acme.localhost</p>
        <p>None selected: everyone.</p><td>None.</td>"""
    )
    assert ws.internal_words(segments) == []
