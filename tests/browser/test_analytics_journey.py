"""The executive's KPI dashboard in a real browser: they land on it, switch the attribution model
and the period and see the numbers change, then ask for the board report and download the PDF."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import time_machine
from pypdf import PdfReader

from analytics import rollups
from analytics.tests import reference
from tenancy.context import tenant_context
from tests.browser.test_dealreg_journey import login, url

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tile(page, key: str) -> str:
    return " ".join(page.locator(f".kpi-tile[data-metric={key}] .kpi-value").inner_text().split())


def test_executive_switches_model_and_period_and_downloads_the_board_report(
    live_server, page, acme
):
    with time_machine.travel(reference.TODAY, tick=False):
        reference.build(acme)
        with tenant_context(acme.tenant):
            rollups.refresh(full=True)
    with time_machine.travel(reference.TODAY, tick=True):
        page.set_default_timeout(20000)
        login(page, live_server, acme, acme.executive)
        assert page.url.endswith("/console/analytics/")
        # This quarter, linear attribution: 19,000 of partner revenue.
        assert _tile(page, "revenue") == "19,000.00 USD"
        linear_share = _tile(page, "sourced_share")

        page.select_option("#f-model", "first_touch")
        page.click("#analytics-filters button[type=submit]")
        page.wait_for_url("**model=first_touch**")
        assert _tile(page, "sourced_share") == "84.2 %" != linear_share

        page.select_option("#f-period", "2026-Q3")
        page.click("#analytics-filters button[type=submit]")
        page.wait_for_url("**period=2026-Q3**")
        assert _tile(page, "revenue") == "99,999.00 USD"

        page.click("#board-report-link")
        page.wait_for_url("**/console/analytics/reports/**")
        assert "Jul 2026 – Sep 2026" in page.inner_text("#report-form")
        page.fill("input[name=title]", "Q3 board pack")
        page.fill("textarea[name=summary]", "A strong quarter for sourced revenue.")
        page.click("#report-form button[type=submit]")
        page.wait_for_selector("#report-list tr[data-status=ready]")
        with page.expect_download() as info:
            page.click("#report-list a:has-text('Download PDF')")
        reader = PdfReader(io.BytesIO(Path(info.value.path()).read_bytes()))
        text = " ".join(" ".join(p.extract_text() for p in reader.pages).split())
        assert len(reader.pages) >= 4
        assert "Q3 board pack" in text and "99,999.00 USD" in text and "First touch" in text


def test_a_partner_answers_the_survey_and_the_executive_sees_it(live_server, browser, acme):
    """The portal home invites a partner user to the open survey; they answer it (a missing
    score is pointed at first); the executive's satisfaction page then counts the answer."""
    from analytics import psat
    from analytics.models import AnalyticsSettings
    from partners.models import LifecycleState

    with tenant_context(acme.tenant):
        for partner in (acme.partner, acme.other_partner):
            partner.state = LifecycleState.ACTIVE
            partner.save(update_fields=["state"])
        AnalyticsSettings.objects.update_or_create(
            defaults={"psat_questions": ["Ease of doing business?", "Deal support?"]}
        )
        psat.survey_open(actor=acme.actor(acme.admin), title="Winter pulse")
    partner = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    partner.set_default_timeout(20000)
    login(partner, live_server, acme, acme.partner_admin)
    partner.click("#survey-invitation a:has-text('Answer the survey')")
    partner.wait_for_url("**/portal/survey/")
    partner.click("label:has-text('5 – excellent') >> nth=0")
    partner.click("#survey-form button[type=submit]")
    assert "Choose a score from 1 to 5." in partner.inner_text("#survey-form")
    partner.click("fieldset:nth-of-type(2) label:has-text('4')")
    partner.click("fieldset:nth-of-type(3) label:text-is('9')")
    partner.fill("textarea[name=comment]", "Approvals are quick now.")
    partner.click("#survey-form button[type=submit]")
    partner.wait_for_url("**/portal/")
    assert partner.locator("#survey-invitation").count() == 0

    executive = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    executive.set_default_timeout(20000)
    login(executive, live_server, acme, acme.executive)
    executive.goto(url(live_server, acme, "/console/analytics/psat/"))
    assert _tile(executive, "responses") == "1"
    assert _tile(executive, "psat_score").startswith("4.5")  # (5 + 4) / 2
    assert _tile(executive, "nps") == "+100"
    assert "Approvals are quick now." in executive.inner_text("#psat-comments")
