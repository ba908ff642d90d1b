"""The first-login tour in a real browser: it starts by itself on the first portal visit, closing
it records it as seen (no restart on the next page), and Help → "Replay the tour" restarts it
without the server."""

from __future__ import annotations

import re

import pytest

from onboarding.models import TourState
from tenancy.context import tenant_context
from tenancy.tests.factories import PASSWORD
from tests.browser.chromium import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def advance_to(page, title: str) -> None:
    """Click "Next" until the popover's title is `title`, one settled stop at a time."""
    for _ in range(10):
        current = page.locator(".driver-popover-title").inner_text().strip()
        if current == title:
            return
        page.click(".driver-popover-next-btn")
        wait_until(
            page,
            "(t) => document.querySelector('.driver-popover-title')?.textContent.trim() !== t",
            arg=current,
        )
    raise AssertionError(f"no tour stop titled {title!r}")


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def test_tour_shows_once_then_replays_from_the_help_menu(live_server, page, acme):
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.partner_sales.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))

    # First visit: the tour opens by itself on the welcome stop.
    popover = page.locator(".driver-popover")
    popover.wait_for(state="visible")
    assert "Welcome to the partner portal" in popover.inner_text()
    # Next, next...: the Learning stop highlights the navbar's Learning menu (data-tour-group).
    advance_to(page, "Learning")
    wait_until(
        page,
        "[...document.querySelectorAll('.driver-active-element')]"
        ".some((e) => (e.dataset.tourGroup || '').split(' ').includes('portal_learning'))",
    )
    page.wait_for_timeout(500)  # let the popover settle on its new target

    # Closing it tells the server, once.
    with page.expect_response(lambda r: r.url.endswith("/portal/tour/seen/")) as seen:
        page.click(".driver-popover-close-btn")
    assert seen.value.status == 204
    popover.wait_for(state="detached")
    with tenant_context(acme.tenant):
        assert TourState.objects.filter(user=acme.partner_sales).exists()

    # Next visit of the home page: no tour.
    page.goto(url(live_server, acme, "/portal/"))
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    assert page.locator(".driver-popover").count() == 0
    assert page.evaluate("document.documentElement.dataset.tourState") is None

    # Help → Replay the tour: it opens again, and finishing it sends nothing.
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "tour/seen" in r.url else None)
    page.click("[data-tour=help]")
    page.click("[data-tour-replay]")
    popover.wait_for(state="visible")
    assert "Welcome to the partner portal" in popover.inner_text()
    # Through to the last stop: the Help menu.
    advance_to(page, "Help")
    assert page.locator(".driver-popover-next-btn").inner_text().strip() == "Done"
    wait_until(
        page,
        "[...document.querySelectorAll('.driver-active-element')]"
        ".some((e) => e.dataset.tour === 'help')",
    )
    page.click(".driver-popover-next-btn")
    popover.wait_for(state="detached")
    page.wait_for_timeout(200)
    assert requests == []
