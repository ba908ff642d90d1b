"""The Content-Security-Policy in a real browser: the main pages of each surface (public form and
login, console, portal, API docs) load and run their scripts with no policy violation reported —
neither a `securitypolicyviolation` event nor a "Refused to ..." console message."""

from __future__ import annotations

import re

import pytest

from tenancy.tests.factories import PASSWORD
from tests.browser.chromium import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


@pytest.fixture
def watched(browser):
    """A page in a Berlin-time browser that records every policy violation."""
    context = browser.new_context(timezone_id="Europe/Berlin")
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(20000)
    page.console_violations = []

    def on_console(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            page.console_violations.append(message.text)

    page.on("console", on_console)
    yield page
    context.close()


def visit(page, address):
    response = page.goto(address)
    assert response.status == 200, address
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations || []")
    assert violations == [], f"{address}: {violations}"
    assert page.console_violations == [], f"{address}: {page.console_violations}"


def log_in(page, live_server, world, email):
    page.goto(url(live_server, world, "/accounts/login/"))
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/(console|portal)/(analytics/)?$"))


def test_public_pages_and_api_docs_raise_no_violation(live_server, watched, acme):
    visit(watched, url(live_server, acme, "/apply/"))
    visit(watched, url(live_server, acme, "/accounts/login/"))
    # Swagger UI starts from its own script file and draws the API description.
    visit(watched, f"{live_server.url}/api/v1/docs/")
    watched.locator(".swagger-ui .info .title").wait_for()
    assert "PRM API" in watched.locator(".swagger-ui .info .title").inner_text()
    assert watched.evaluate("window.__cspViolations") == []


def test_console_pages_raise_no_violation_and_their_scripts_run(live_server, watched, acme):
    log_in(watched, live_server, acme, acme.manager.email)
    for path in (
        "/console/",
        "/console/partners/",
        f"/console/partners/{acme.partner.uuid}/",
        "/console/recruitment/",
        "/console/applications/",
        "/console/sessions/",
    ):
        visit(watched, url(live_server, acme, path))
    # The time-zone script (static/js/viewer-tz.js, formerly inline) ran: the zone is remembered.
    cookies = {c["name"]: c["value"] for c in watched.context.cookies()}
    assert cookies.get("tz") == "Europe%2FBerlin"
    # htmx still works: filtering the directory swaps the table in place.
    visit(watched, url(live_server, acme, "/console/partners/"))
    watched.select_option("select[name=state]", "prospect")
    wait_until(watched, "window.location.search.includes('state=prospect')")
    assert watched.evaluate("window.__cspViolations") == []
    assert watched.console_violations == []


def test_portal_pages_raise_no_violation(live_server, watched, acme):
    log_in(watched, live_server, acme, acme.partner_admin.email)
    visit(watched, url(live_server, acme, "/portal/"))
    # The first-login tour (driver.js and our script, from static files) opens by itself.
    watched.locator(".driver-popover").wait_for(state="visible")
    for path in ("/portal/organization/", "/portal/sessions/"):
        visit(watched, url(live_server, acme, path))
    assert watched.evaluate("window.__cspViolations") == []
    assert watched.console_violations == []
