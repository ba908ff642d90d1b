"""Recruitment in a real browser: a prospect applies on the public form; a program admin approves
them on the console's pipeline board; the partner appears in the directory with its fit score."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from partners.models import (
    CriterionGroup,
    IdealPartnerProfile,
    IppCriterion,
    LifecycleState,
    PartnerOrganization,
)
from tenancy.context import tenant_context
from tenancy.tests.factories import PASSWORD, totp_code
from tests.browser.chromium import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def test_prospect_applies_admin_approves_and_partner_is_in_the_directory_with_its_score(
    live_server, page, acme
):
    # The program's Ideal Partner Profile: serving EMEA is what counts.
    with tenant_context(acme.tenant):
        profile = IdealPartnerProfile.objects.create(tenant=acme.tenant)
        IppCriterion.objects.create(
            tenant=acme.tenant,
            profile=profile,
            group=CriterionGroup.FIRMOGRAPHIC,
            label="Serves EMEA",
            field="regions",
            operator="any_of",
            value=["EMEA"],
            weight=10,
        )

    # An anonymous visitor applies on the tenant's public form.
    applicant = page.context.browser.new_context().new_page()
    applicant.goto(url(live_server, acme, "/apply/"))
    form = applicant.locator("#application-form")
    form.locator("input[name=company_name]").fill("Bluefin Cloud Partners")
    form.locator("input[name=website]").fill("https://www.bluefin-cloud.example/")
    form.locator("select[name=country]").select_option("DE")
    form.locator("input[name=regions][value=EMEA]").check()
    form.locator("input[name=partner_types][value=msp]").check()
    form.locator("select[name=employee_band]").select_option("51")
    form.locator("input[name=skills]").fill("Kubernetes, Terraform")
    form.locator("input[name=contact_name]").fill("Jana Novak")
    form.locator("input[name=contact_email]").fill("jana@bluefin-cloud.example")
    form.locator("input[name=contact_title]").fill("CEO")
    form.locator("textarea[name=message]").fill("We run Kubernetes for Mittelstand customers.")
    form.locator("button[type=submit]").click()
    applicant.wait_for_url(re.compile(r"/apply/thanks/$"))
    assert "application is in" in applicant.content()
    applicant.context.close()
    with tenant_context(acme.tenant):
        partner = PartnerOrganization.objects.get(domain="bluefin-cloud.example")
    assert partner.state == LifecycleState.APPLIED and partner.ipp_score == 100

    # The program admin logs in (password, then TOTP) and opens the pipeline board.
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code())
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))

    page.goto(url(live_server, acme, "/console/recruitment/"))
    card = page.locator(f"[data-column=applied] [data-partner='{partner.uuid}']")
    assert "bluefin-cloud.example" in card.inner_text() and "100" in card.inner_text()
    card.locator("[data-action=approve]").click()
    # htmx swaps the board: the card is now in the approved column.
    page.locator(f"[data-column=approved] [data-partner='{partner.uuid}']").wait_for()
    assert page.locator(f"[data-column=applied] [data-partner='{partner.uuid}']").count() == 0
    assert page.url.endswith("/console/recruitment/")

    # The applicant got a receipt, then the next steps (tasks run eagerly in tests); the program
    # admin was told of the application (no rule matched: it waited in the unassigned queue).
    to_applicant = [m for m in mail.outbox if m.to == ["jana@bluefin-cloud.example"]]
    assert len(to_applicant) == 2
    assert "received your application" in to_applicant[0].subject
    assert "Next steps" in to_applicant[1].body
    assert [m.to for m in mail.outbox if m not in to_applicant] == [[acme.admin.email]]

    # The directory lists the partner as approved, with its score.
    page.goto(url(live_server, acme, "/console/partners/?sort=-score"))
    row = page.locator(f"#partner-table tr[data-partner='{partner.uuid}']")
    assert "Bluefin Cloud Partners" in row.inner_text()
    assert row.locator("[data-score]").inner_text().strip() == "100"
    assert row.locator("[data-status=approved]").count() == 1

    # Filtering the directory (htmx) keeps it there.
    page.select_option("select[name=state]", "approved")
    wait_until(page, "window.location.search.includes('state=approved')")
    page.locator(f"#partner-table tr[data-partner='{partner.uuid}']").wait_for()
    assert page.locator("#partner-table tbody tr").count() == 1


def test_a_known_company_applies_and_its_manager_merges_only_what_is_right(live_server, page, acme):
    """The anonymous form cannot change a prospect staff entered: the submission waits for
    review, and the channel manager takes the values they trust into the partner."""
    with tenant_context(acme.tenant):
        PartnerOrganization.objects.filter(pk=acme.partner.pk).update(
            domain="bluefin.example", website="https://bluefin.example", regions=["APAC"]
        )

    applicant = page.context.browser.new_context().new_page()
    applicant.goto(url(live_server, acme, "/apply/"))
    form = applicant.locator("#application-form")
    form.locator("input[name=company_name]").fill("Bluefin Cloud Partners")
    form.locator("input[name=website]").fill("https://www.bluefin.example/")
    form.locator("select[name=country]").select_option("DE")
    form.locator("input[name=regions][value=EMEA]").check()
    form.locator("input[name=partner_types][value=msp]").check()
    form.locator("select[name=employee_band]").select_option("51")
    form.locator("input[name=contact_name]").fill("Jana Novak")
    form.locator("input[name=contact_email]").fill("jana@bluefin.example")
    form.locator("button[type=submit]").click()
    applicant.wait_for_url(re.compile(r"/apply/thanks/$"))  # the same thank-you as anyone
    applicant.context.close()
    acme.partner.refresh_from_db()
    assert acme.partner.regions == ["APAC"] and acme.partner.state == LifecycleState.PROSPECT

    # The partner's channel manager (no MFA required for the role) reviews it.
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))
    page.goto(url(live_server, acme, "/console/recruitment/"))
    page.click("#applications-to-review-banner a")
    page.wait_for_url(re.compile(r"/console/applications/\?tab=review$"))
    page.click("#applications a:has-text('Bluefin Cloud Partners')")
    page.locator("#application-comparison tr[data-field=regions].table-warning").wait_for()
    merge = page.locator("#merge-form")
    merge.locator("input[name=fields_to_take][value=regions]").check()
    merge.locator("select[name=contact_role]").select_option("sales")
    merge.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(rf"/console/partners/{acme.partner.uuid}/$"))
    assert page.locator(".alert-success").count() == 1
    acme.partner.refresh_from_db()
    assert acme.partner.regions == ["APAC", "EMEA"]
    assert acme.partner.hq_country == "" and acme.partner.state == LifecycleState.PROSPECT
    assert "jana@bluefin.example" in page.locator("#partner-contacts").inner_text()
