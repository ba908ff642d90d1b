"""Every console and portal page of every demo role, in both demo tenants, in Chromium at 1366×768:
no page wider than the window (`scrollWidth <= innerWidth`), no 4xx/5xx (the page or anything it
loads, favicon included), no console error, no internal word in the visible text (the checker of
tests/walk_support.py, run on what the browser shows).

The walk is what a person can reach by clicking: each role's menu, then every link and htmx
fragment on those pages (one URL per URL name). Pages only the URLconf knows are walked by
tests/test_human_words.py. One test: the demo is seeded once (committed for the live server) and
every failure of every role is listed together."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests import walk_support as ws

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 1366, 768

# Visible text nodes (skipping the tags the checker skips) and the walkable link targets.
READ_PAGE = """(skipped) => {
  const segments = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skipped)) continue;
    if (!parent.checkVisibility({visibilityProperty: true, opacityProperty: false})) continue;
    const text = node.nodeValue.replace(/\\s+/g, " ").trim();
    if (text) segments.push(text);
  }
  if (document.title.trim()) segments.push(document.title.trim());
  const links = [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href"));
  const fragments = [...document.querySelectorAll("[hx-get]")].map((e) => e.getAttribute("hx-get"));
  const scrollWidth = document.documentElement.scrollWidth;
  return {
    segments,
    links: links.concat(fragments),
    scrollWidth,
    innerWidth: window.innerWidth,
    wide: scrollWidth <= window.innerWidth ? [] : [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
      .filter((e) => !e.closest(".table-responsive, .overflow-auto, .overflow-x-auto"))
      .slice(0, 3)
      .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
        + (e.className && typeof e.className === "string"
           ? "." + e.className.trim().split(/\\s+/).join(".") : "")),
  };
}"""
SKIPPED_SELECTOR = ",".join(sorted(ws.SKIPPED_TAGS))


def browser_fetch(page, base: str, host: str, client: Client):
    """A walker's fetch through a Chromium tab; everything a page loads is watched. What the
    tab does not show (a download, an off-site redirect) is asked of the server with `client`,
    the same user's Django test client."""
    # NOTE: a page's failed loads (a 404 stylesheet, a 500 htmx fragment) reach the console as
    # "Failed to load resource" errors with their URL, so no per-response listener (one Python
    # callback per loaded file) is needed.
    console_errors: list[str] = []
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and console_errors.append(f"{m.text} ({urlsplit(m.location.get('url', '')).path})")
        ),
    )
    page.on("pageerror", lambda e: console_errors.append(str(e)))

    def fetch(path: str) -> ws.Fetched:
        console_errors.clear()
        try:
            response = page.goto(base + path, wait_until="load")
        except Exception:  # a download, or a redirect to a site the walk does not load
            response = None
        if response is None:
            # What the server answered, without following it off-site.
            answer = client.get(path)
            got = ws.Fetched(answer.status_code, path, answer.get("Content-Type", ""))
            if answer.streaming:
                b"".join(answer.streaming_content)
            location = answer.get("Location", "")
            if location and urlsplit(location).hostname not in (None, host):
                got.offsite = location
            return got
        got = ws.Fetched(
            response.status, urlsplit(page.url).path, response.headers.get("content-type", "")
        )
        if urlsplit(page.url).hostname != host:
            got.offsite = page.url
            return got
        if not got.content_type.startswith("text/html"):
            return got
        seen = page.evaluate(READ_PAGE, SKIPPED_SELECTOR)
        got.segments, got.links = seen["segments"], seen["links"]
        if seen["scrollWidth"] > seen["innerWidth"]:
            got.problems.append(
                f"wider than the window: scrollWidth {seen['scrollWidth']} > {seen['innerWidth']}"
                f" (sticking out: {', '.join(seen['wide']) or '?'})"
            )
        if console_errors:
            got.problems.append("console error: " + " | ".join(console_errors[:3]))
        return got

    return fetch


def off_site(host: str):
    return lambda url: urlsplit(url).hostname != host


def walk_tenant(slug: str, live_server, browser) -> None:
    """Walk every role of one demo tenant; fail listing every bad page."""
    from prm.demo import seed_demo

    seed_demo()
    ws.add_missing_kinds()
    port = live_server.url.rsplit(":", 1)[1]
    all_visits: list[ws.Visit] = []
    for role in ws.ROLES:
        who = ws.walker(slug, role)
        client = Client(HTTP_HOST=who.host())
        client.force_login(who.user)
        context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT})
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "domain": who.host(),
                    "path": "/",
                }
            ]
        )
        # The walk loads only the app: anything off-site is refused, not fetched.
        context.route(off_site(who.host()), lambda route: route.abort())
        page = context.new_page()
        page.set_default_timeout(15000)
        base = f"http://{who.host()}:{port}"
        fetch = browser_fetch(page, base, who.host(), client)
        visits = ws.walk_pages(who, fetch, unlinked=False)
        context.close()
        assert f"{ws.surface_of(role)}_home" in ws.pages_opened(visits), (slug, role)
        all_visits += visits
    # Browsers ask every site for its icon, whatever the page links.
    icon = ws.Visit(slug, "anyone", "favicon", "/favicon.ico", "browser")
    icon.status = Client(HTTP_HOST=f"{slug}.localhost").get("/favicon.ico").status_code
    all_visits.append(icon)
    bad = ws.failures(all_visits)
    assert not bad, f"{len(bad)} of {len(all_visits)} pages:\n" + "\n".join(map(str, bad))


# NOTE: one test per tenant, each in its own file, so the two walks run on different test
# workers (`--dist loadfile`); the second tenant is tests/browser/test_walk_second_tenant.py.
def test_every_page_of_every_role_fits_1366_and_speaks_human(live_server, browser):
    walk_tenant(ws.DEMO_TENANTS[0], live_server, browser)
