"""At 1366×768 no console or portal page is wider than the window, for every role — with a long
tenant name and long e-mail addresses (the navbar's worst case): the navbar fits, the user menu is
on screen, a cut address keeps its full text in the tooltip."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress

from conftest import PARTNER_ROLE_NAMES, VENDOR_ROLE_NAMES
from tenancy.roles import Role
from tenancy.tests.factories import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WINDOW = {"width": 1366, "height": 768}
ROLES = [*VENDOR_ROLE_NAMES.items(), *PARTNER_ROLE_NAMES.items()]

# Every link of the navbar, dropdowns included: the main pages of the role's surface.
NAV_LINKS = """() => [...new Set([...document.querySelectorAll(
    '.prm-navbar a.nav-link[href^="/"], .prm-navbar a.dropdown-item[href^="/"]')]
    .map(a => a.getAttribute('href')))]"""
WIDTHS = """() => {
    const menu = document.querySelector('.prm-user-menu').getBoundingClientRect();
    return {page: document.documentElement.scrollWidth, window: window.innerWidth,
            menuRight: Math.ceil(menu.right), menuVisible: menu.width > 0};
}"""


@pytest.fixture
def long_names(acme):
    """Worst case for the navbar: a long tenant name and a long address for everyone."""
    acme.tenant.name = "Acme Cloud Security and Infrastructure Solutions International"
    acme.tenant.save(update_fields=["name"])
    for name, user in acme.users.items():
        user.email = f"{name}.with.a.rather.long.mailbox.name@{acme.tenant.slug}-example-corp.test"
        user.save(update_fields=["email"])
        EmailAddress.objects.filter(user=user).update(email=user.email)
    return acme


def log_in(page, base: str, user, role: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    if role == Role.PROGRAM_ADMIN:
        page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.fill("input[name=code]", totp_code())
        page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/(console|portal)/(analytics/)?$"))


@pytest.mark.parametrize(("role", "name"), ROLES, ids=[str(role) for role, _ in ROLES])
def test_no_page_of_the_role_is_wider_than_a_1366_window(
    live_server, browser, long_names, role, name
):
    port = live_server.url.rsplit(":", 1)[1]
    base = f"http://{long_names.tenant.slug}.localhost:{port}"
    user = long_names.users[name]
    context = browser.new_context(viewport=WINDOW)
    page = context.new_page()
    page.set_default_timeout(15000)
    try:
        log_in(page, base, user, role)
        toggle = page.locator(".prm-user-menu")
        assert toggle.get_attribute("title") == user.email
        links = page.evaluate(NAV_LINKS)
        assert len(links) >= 2, links
        too_wide = []
        for path in ["/", *links]:
            response = page.goto(base + path)
            assert response.status < 400, f"{path}: {response.status}"
            widths = page.evaluate(WIDTHS)
            if (
                widths["page"] > widths["window"]
                or widths["menuRight"] > widths["window"]
                or not widths["menuVisible"]
            ):
                too_wide.append((path, widths))
        assert not too_wide, too_wide
    finally:
        context.close()
