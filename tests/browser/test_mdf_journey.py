"""MDF and through-partner marketing in a real browser.

1. A partner requests funds; the channel manager approves; the partner claims with an invoice
   file; the manager approves the claim; marketing records the payment (after a confirmation).
2. A partner co-brands a published campaign (the preview follows what they type), launches it;
   a visitor opens the public landing page and leaves their details; the lead is on the partner's
   campaign page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from mdf.models import Campaign, ClaimStatus, FundRequest, Lead, RequestStatus
from mdf.tests.helpers import PDF, funded, make_template, request_data
from tenancy.context import tenant_context
from tests.browser.test_dealreg_journey import login, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accept_dialogs(page, questions: list[str]) -> None:
    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)


def _as(page, live_server, world, user):
    other = page.context.browser.new_context().new_page()
    other.set_default_timeout(15000)
    login(other, live_server, world, user)
    return other


def test_request_approve_claim_with_a_file_approve_and_pay(live_server, page, acme, tmp_path):
    _fund, allocation = funded(acme, amount="10000")
    data = request_data(title="Kubernetes day Berlin", amount="4000")
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(PDF)

    # The partner asks for funds.
    page.set_default_timeout(15000)
    login(page, live_server, acme, acme.partner_marketing)
    page.goto(url(live_server, acme, "/portal/mdf/requests/new/"))
    page.select_option("select[name=allocation]", str(allocation.uuid))
    page.fill("input[name=title]", data["title"])
    page.select_option("select[name=activity_type]", "event")
    page.fill("input[name=starts_on]", data["starts_on"].isoformat())
    page.fill("input[name=ends_on]", data["ends_on"].isoformat())
    page.fill("input[name=amount]", "4000")
    page.fill("input[name=expected_leads]", "40")
    page.fill("textarea[name=description]", data["description"])
    page.click("button:has-text('Send the request')")
    page.wait_for_url(re.compile(r"/portal/mdf/requests/[0-9a-f-]{36}/$"))
    with tenant_context(acme.tenant):
        fund_request = FundRequest.objects.get()
    assert fund_request.status == RequestStatus.MANAGER_REVIEW
    request_path = f"/console/mdf/requests/{fund_request.uuid}/"

    # The channel manager approves it in full (after a confirmation).
    manager = _as(page, live_server, acme, acme.manager)
    asked: list[str] = []
    _accept_dialogs(manager, asked)
    manager.goto(url(live_server, acme, request_path))
    manager.check("input[name=decision][value=approve]")
    with manager.expect_navigation():
        manager.click("button:has-text('Record the decision')")
    assert asked and "committed" in asked[0]
    with tenant_context(acme.tenant):
        assert FundRequest.objects.get().status == RequestStatus.APPROVED

    # The partner claims 3,800 with the invoice.
    page.reload()
    page.fill("input[name=spent]", "3800")
    page.fill("input[name=leads]", "31")
    page.set_input_files("input[name=invoice]", str(invoice))
    page.click("form:has(input[name=spent]) button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/mdf/requests/[0-9a-f-]{36}/$"))
    assert "Claim sent for review." in page.content()
    with tenant_context(acme.tenant):
        claim = FundRequest.objects.get().claim
        assert claim.status == ClaimStatus.SUBMITTED and claim.files.count() == 1

    # The manager approves the claim; marketing pays it (after a confirmation).
    manager.reload()
    claim_form = manager.locator("form:has(input[value=claim])")
    claim_form.locator("input[name=decision][value=approve]").check()
    with manager.expect_navigation():
        claim_form.locator("button:has-text('Record the decision')").click()
    assert len(asked) == 2 and "goes to payment" in asked[1]
    manager.context.close()
    marketing = _as(page, live_server, acme, acme.marketing)
    questions: list[str] = []
    _accept_dialogs(marketing, questions)
    marketing.goto(url(live_server, acme, request_path))
    marketing.select_option("select[name=method]", "bank_transfer")
    marketing.fill("input[name=reference]", "MDF-0001")
    marketing.fill("input[name=paid_on]", data["starts_on"].isoformat())
    marketing.click("button:has-text('Record the payment')")
    marketing.wait_for_url(re.compile(re.escape(request_path) + "$"))
    assert questions and "cannot be undone" in questions[0]
    marketing.context.close()
    with tenant_context(acme.tenant):
        fund_request = FundRequest.objects.get()
        assert fund_request.status == RequestStatus.COMPLETED
        assert fund_request.claim.payout.reference == "MDF-0001"
    page.reload()
    assert "Paid" in page.content()


def test_co_brand_launch_and_a_lead_arrives(live_server, page, acme):
    make_template(acme)
    page.set_default_timeout(15000)
    login(page, live_server, acme, acme.partner_marketing)
    page.goto(url(live_server, acme, "/portal/campaigns/"))
    page.click("a:has-text('Co-brand this campaign')")
    page.wait_for_url(re.compile(r"/portal/campaigns/new/[0-9a-f-]{36}/$"))
    # The preview follows the offer as it is typed (nothing saved yet).
    page.fill("input[name=offer]", "Two months free <b>now</b>")
    page.wait_for_function(
        "() => document.querySelector('#landing-preview [data-testid=lp-offer]')"
        " && document.querySelector('#landing-preview [data-testid=lp-offer]').textContent"
        ".includes('Two months free <b>now</b>')"
    )
    assert page.locator("#landing-preview b").count() == 0  # shown as text, not markup
    with tenant_context(acme.tenant):
        assert not Campaign.objects.exists()
    page.fill("input[name=contact_name]", "Pat Partner")
    page.click("button:has-text('Save the campaign')")
    page.wait_for_url(re.compile(r"/portal/campaigns/[0-9a-f-]{36}/$"))
    page.click("button:has-text('Launch')")
    page.wait_for_selector("#landing-url")
    landing = page.input_value("#landing-url")

    # A visitor opens the partner's page and leaves their details.
    visitor = page.context.browser.new_context().new_page()
    visitor.set_default_timeout(15000)
    # (the address is on the tenant's configured host; the test server listens elsewhere)
    assert re.search(r"/lp/[\w-]+/$", landing)
    visitor.goto(url(live_server, acme, urlsplit(landing).path))
    assert visitor.locator("[data-testid=lp-partner]").inner_text() == acme.partner.name
    visitor.fill("input[name=first_name]", "Ada")
    visitor.fill("input[name=last_name]", "Lovelace")
    visitor.fill("input[name=email]", "ada@analytical.example")
    visitor.fill("input[name=company]", "Analytical Engines")
    visitor.click("button:has-text('Book my assessment')")
    visitor.wait_for_url(re.compile(r"/lp/[\w-]+/thanks/$"))
    assert "Pat Partner" in visitor.content()
    visitor.context.close()

    with tenant_context(acme.tenant):
        lead = Lead.objects.get()
        assert lead.partner == acme.partner and lead.campaign == Campaign.objects.get()
    page.reload()
    assert page.locator("#campaign-leads").inner_text().count("Ada Lovelace") == 1
