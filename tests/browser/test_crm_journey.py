"""A program admin connects a CRM in a real browser (demo mode: a simulated CRM): connects it,
tests the connection, sends the approved registrations, pulls the CRM's changes, finds every
step in the sync log, and sees the stage the "CRM" set in the registration's pipeline."""

from __future__ import annotations

import os
import re

import pytest

from dealreg.tests.test_conflicts import approve, ready, register
from tests.browser.test_dealreg_journey import login_with_totp, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = os.environ.get("PRM_SCREENSHOTS")  # a folder: save the pages seen (for a person)


def shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


def test_admin_connects_a_crm_in_demo_mode_and_follows_the_sync(live_server, page, acme):
    ready(acme)
    for n in range(3):
        approve(
            acme,
            register(
                acme,
                acme.partner_sales,
                customer_name=f"Customer {n}",
                customer_domain=f"customer{n}.example",
            ),
        )
    page.set_default_timeout(20000)
    page.set_viewport_size({"width": 1366, "height": 768})
    login_with_totp(page, live_server, acme, acme.admin)

    page.goto(url(live_server, acme, "/console/integrations/crm/"))
    page.select_option("select[name=kind]", "salesforce")
    page.fill("input[name=name]", "Salesforce sandbox")
    page.check("input[name=demo_mode]")
    page.click("form button:has-text('Connect')")
    page.wait_for_url(re.compile(r"/console/integrations/crm/[0-9a-f-]{36}/$"))
    shot(page, "crm-connection-new")
    assert page.locator("[data-status=demo]").count() == 1

    page.click("button:has-text('Test connection')")
    page.wait_for_selector("text=Demo mode: no CRM is called")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('Send open registrations')")
    page.wait_for_selector("text=3 approved registrations queued")
    page.reload()
    assert page.locator("#crm-sync-log td:has-text('Simulated: opportunity created')").count() == 3
    for _round in range(3):
        page.click("button:has-text('Pull changes now')")
        page.wait_for_selector("text=Pulled:")
    shot(page, "crm-connection-log")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366

    # The mapping, in words: PRM field labels and the CRM's field names.
    page.click("summary:has-text('Field mapping')")
    assert page.locator("label:has-text('Registration status')").count() == 1
    assert page.input_value("input[name=map_registration_status]") == "PRM_Registration_Status__c"
    page.click("summary:has-text('Stage mapping')")
    shot(page, "crm-connection-mapping")
    page.select_option("select[name=stage_0]", "discovery")
    page.click("form button:has-text('Save')")
    page.wait_for_selector("text=Connection saved.")
    assert page.input_value("select[name=stage_0]") == "discovery"
