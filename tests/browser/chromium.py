"""Headless Chromium fixtures (`browser`, `page`) for every browser test, loaded from conftest.py.

Debian's /usr/bin/chromium driven by Playwright against live_server."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (apt-get install chromium)")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test
    # body are still synchronous and safe.
    # Set only while the browser tests run: check --deploy (tests/test_deploy.py) rejects it.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def wait_until(page, expression: str, arg=None, timeout: float = 15.0) -> None:
    """Poll a JavaScript expression (or `(arg) => ...` function) until it is truthy.

    NOTE: Playwright's `page.wait_for_function` compiles its predicate with eval inside the page,
    which our Content-Security-Policy (script-src 'self', no 'unsafe-eval') refuses; `evaluate`
    goes through the DevTools protocol and is not subject to the policy.
    """
    import time

    deadline = time.monotonic() + timeout
    while True:
        if page.evaluate(expression, arg):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        page.wait_for_timeout(50)
