"""A program admin connects a receiver in a real browser: adds the endpoint with the events it
wants, copies the signing secret shown once, sends a test event, finds the accepted delivery in
the log and opens its attempts; the receiver can verify the signature with that secret."""

from __future__ import annotations

import re

import pytest

from integrations.signing import verify
from integrations.tests.receiver import Receiver
from tests.browser.test_dealreg_journey import login_with_totp, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_adds_an_endpoint_and_sees_the_test_event_arrive(live_server, page, acme):
    receiver = Receiver().start()
    try:
        page.set_default_timeout(20000)
        page.set_viewport_size({"width": 1366, "height": 768})
        login_with_totp(page, live_server, acme, acme.admin)

        page.goto(url(live_server, acme, "/console/integrations/webhooks/"))
        page.fill("input[name=url]", receiver.url)
        page.fill("input[name=description]", "Our CRM")
        page.check("input[name=event_types][value='deal.approved']")
        page.check("input[name=event_types][value='deal.won']")
        page.click("form button:has-text('Add endpoint')")
        secret = page.input_value("#new-webhook-secret")
        assert secret.startswith("whsec_")
        page.click(f"a:has-text('{receiver.url}')")
        page.wait_for_url(re.compile(r"/console/integrations/webhooks/[0-9a-f-]{36}/$"))
        assert secret not in page.content()  # shown once

        page.click("button:has-text('Send a test event')")
        page.wait_for_selector("#webhook-deliveries a:has-text('Test event')")
        assert page.locator("#webhook-deliveries [data-status=sent]").count() == 1
        page.click("#webhook-deliveries a:has-text('Test event')")
        page.wait_for_selector("text=What the receiver said")
        assert page.locator("td [data-status=sent]").inner_text().strip() == "200"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 1366
    finally:
        receiver.stop()
    request = receiver.received[0]
    assert request.json["type"] == "webhook.ping"
    assert verify(secret, request.headers["PRM-Signature"], request.body)
