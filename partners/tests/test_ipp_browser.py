"""The IPP editor in headless Chromium: the form refits to the chosen field and rule (htmx), the
preview shows the effect, and saving rescores the partners."""

from __future__ import annotations

import os
import re

import pytest

from partners.models import IppCriterion, PartnerOrganization
from tenancy.context import tenant_context
from tenancy.tests.factories import PASSWORD, totp_code
from tests.browser.chromium import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("PRM_IPP_SCREENSHOTS")  # a directory, to look at the pages


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def refit(page, select, value):
    """Choose in a select that refits the form (htmx), and wait until the new fields are in and
    htmx has wired them: a choice made while the swap settles reaches no listener."""
    with page.expect_response(lambda response: "/ipp/form-fields/" in response.url):
        select.select_option(value)
    wait_until(
        page, "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def shot(page, name):
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_admin_builds_a_criterion_with_a_form_that_fits_the_rule(live_server, page, acme):
    with tenant_context(acme.tenant):
        PartnerOrganization.objects.filter(pk=acme.partner.pk).update(employee_band="201")
        PartnerOrganization.objects.filter(pk=acme.other_partner.pk).update(employee_band="11")

    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code())
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))

    page.goto(url(live_server, acme, "/console/program/ipp/"))
    form = page.locator("#add-criterion form")
    # Regions (the default field) offers checkboxes of regions.
    assert form.locator("input[name=value][value=EMEA]").count() == 1
    form.locator("input[name=label]").fill("At least 50 staff")
    # Choosing "Employees" swaps in the number rules and a number input; the label stays.
    refit(page, form.locator("select[name=field]"), "employee_band")
    refit(page, form.locator("select[name=operator]"), "gte")
    form.locator("input[name=value][type=number]").wait_for()
    assert form.locator("input[name=label]").input_value() == "At least 50 staff"
    form.locator("input[name=value]").fill("50")
    form.locator("input[name=weight]").fill("20")
    shot(page, "ipp-editor-form")

    form.get_by_role("button", name=re.compile("Preview")).click()
    page.locator("#ipp-distribution .alert-info").wait_for()
    assert "Preview" in page.locator("#ipp-distribution").inner_text()
    shot(page, "ipp-editor-preview")

    form.get_by_role("button", name=re.compile("Add criterion")).click()
    page.wait_for_url(re.compile(r"/console/program/ipp/$"))
    assert page.locator(".alert-success").count() == 1
    assert "At least 50 staff" in page.locator("#group-firmographic").inner_text()

    # "Willing to co-market" needs no value: the value input disappears.
    form = page.locator("#add-criterion form")
    form.locator("select[name=field]").select_option("co_marketing")
    wait_until(
        page,
        "() => !document.querySelector('#add-criterion [name=value]')"
        " && document.querySelector('#add-criterion select[name=operator]').value === 'is_true'",
    )
    shot(page, "ipp-editor-saved")

    with tenant_context(acme.tenant):
        criterion = IppCriterion.objects.get()
        scores = dict(PartnerOrganization.objects.values_list("pk", "ipp_score"))
    assert (criterion.field, criterion.operator, criterion.value) == ("employee_band", "gte", 50)
    assert scores[acme.partner.pk] == 100 and scores[acme.other_partner.pk] == 0
