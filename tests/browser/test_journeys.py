"""The foundation's main journey in a real browser: an admin logs in with MFA and invites a partner
user; the partner accepts by email, lands in the portal, and is refused the console."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.tests.factories import PASSWORD, totp_code
from tests.browser.chromium import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def test_admin_invites_partner_user_who_joins_and_sees_only_the_portal(
    live_server, page, acme, settings
):
    settings.PRM_URL_PORT = live_server.url.rsplit(":", 1)[1]

    # The program admin logs in: password, then TOTP.
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code())
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))

    # Team page: invite a partner sales user into the first partner org.
    page.goto(url(live_server, acme, "/console/team/"))
    invite = page.locator("form:has(input[name=email])")
    invite.locator("input[name=email]").fill("new.rep@northwind.test")
    invite.locator("select[name=role]").select_option("partner_sales")
    invite.locator("select[name=partner_organization]").select_option(label=acme.partner.name)
    invite.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/console/team/$"))
    assert page.locator(".alert-success").count() == 1
    assert "new.rep@northwind.test" in page.content()

    # The invitation email arrives (tasks run eagerly in tests) with a working link.
    assert len(mail.outbox) == 1
    link = re.search(r"http://\S+/invitations/\S+/", mail.outbox[0].body).group(0)

    # The invitee, in a fresh browser, sets a password and lands in the portal.
    invitee = page.context.browser.new_context().new_page()
    invitee.goto(link)
    invitee.fill("input[name=full_name]", "New Rep")
    invitee.fill("input[name=password1]", "tidal-lantern-83")
    invitee.fill("input[name=password2]", "tidal-lantern-83")
    invitee.click("form button[type=submit]")
    invitee.wait_for_url(re.compile(r"/portal/$"))
    assert acme.partner.name in invitee.content()
    with tenant_context(acme.tenant):
        joined = Membership.objects.get(user__email="new.rep@northwind.test")
    assert joined.role == "partner_sales" and joined.partner_organization == acme.partner

    # A partner sales user has no team management and no console.
    assert invitee.locator("a[href='/portal/team/']").count() == 0
    response = invitee.goto(url(live_server, acme, "/console/"))
    assert response.status == 403
    invitee.context.close()


def test_console_navigation_follows_the_role(live_server, page, acme):
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.executive.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    # An executive's console opens on the KPI dashboard.
    page.wait_for_url(re.compile(r"/console/analytics/$"))
    # Team and Audit log sit in the Admin dropdown (text_content: closed menus too).
    nav = page.locator("nav").first.text_content()
    assert "Admin" in nav and "Audit log" in nav and "Team" in nav
    assert "API keys" not in nav
    # Read-only: the team page has no invite form for an executive.
    page.goto(url(live_server, acme, "/console/team/"))
    assert page.locator("input[name=email]").count() == 0
    # Filtering swaps the members table in place (htmx, served from our static files).
    rows = page.locator("#members-table tbody tr")
    assert rows.count() > 5
    page.fill("input[name=q]", acme.partner_presales.email)
    wait_until(page, "document.querySelectorAll('#members-table tbody tr').length === 1")
    assert acme.partner_presales.email in page.locator("#members-table").inner_text()
    assert "q=" in page.url  # the filter is in the address bar (hx-push-url)
