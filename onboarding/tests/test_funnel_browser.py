"""The onboarding funnel and the runs list in a 1366×768 window: the page, the funnel's step
chart and its partner table fit without horizontal scrolling, with long partner and channel
manager names and a partner whose steps are out of order."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from onboarding.models import Milestone, OnboardingRun, OnboardingStep, StepKey, StepStatus
from onboarding.tests.factories import AgreementSignatureFactory
from partners.tests.factories import PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
WIDTH = 1366

# Overflow of the document, and of each element that should fit in its box.
OVERFLOW = """(selectors) => {
  const doc = document.documentElement;
  const out = {page: doc.scrollWidth - doc.clientWidth};
  for (const s of selectors) {
    const el = document.querySelector(s);
    out[s] = el ? el.scrollWidth - el.clientWidth : null;
  }
  return out;
}"""


def url(live_server, world, path):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def seed(world):
    manager = world.manager
    manager.full_name = "Alexandra Konstantinopoulou-Vanderbilt de la Fuente-Hohenberg"
    manager.save(update_fields=["full_name"])
    with tenant_context(world.tenant):
        for i in range(6):
            partner = PartnerOrganizationFactory(
                tenant=world.tenant,
                name=f"Internationale Systemintegrations- und Beratungsgesellschaft {i} GmbH",
                channel_manager=manager,
            )
            signed = T0 + timedelta(days=i)
            signature = AgreementSignatureFactory(
                partner=partner, tenant=world.tenant, signed_at=signed
            )
            run = OnboardingRun.objects.create(
                tenant=world.tenant, partner=partner, signature=signature, status="done"
            )
            for key in StepKey.values:
                OnboardingStep.objects.create(
                    tenant=world.tenant, run=run, key=key, status=StepStatus.DONE
                )
            offsets = {
                "agreement_signed": 0,
                "team_invited": -2 if i == 0 else 0.1,  # one out of order
                "first_login": 1.5,
                "profile_complete": 4,
                "training_101": 9,
                "first_asset": 11,
                "first_deal": 20 + i,
            }
            for key, days in offsets.items():
                Milestone.objects.create(
                    tenant=world.tenant,
                    partner=partner,
                    key=key,
                    reached_at=signed + timedelta(days=days),
                )


def test_funnel_and_runs_fit_a_1366_window(live_server, browser, acme):
    seed(acme)
    context = browser.new_context(viewport={"width": WIDTH, "height": 768})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(url(live_server, acme, "/accounts/login/"))
    # The channel manager (program admins have two-factor sign-in), with a long name.
    page.fill("input[name=login]", acme.manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))

    page.goto(url(live_server, acme, "/console/onboarding/"))
    assert page.locator("#funnel-out-of-order").is_visible()
    assert page.locator("#funnel-partners").inner_text().count("Konstantinopoulou") == 6
    sizes = page.evaluate(OVERFLOW, ["#funnel-steps", "#funnel-steps tbody", "#funnel-partners"])
    assert sizes["page"] <= 0, sizes
    # The chart (steps and bars) and the partner table fit their cards: no inner scrolling.
    wrappers = page.evaluate(
        """() => [...document.querySelectorAll('.table-responsive')]
                 .map((el) => el.scrollWidth - el.clientWidth)"""
    )
    assert wrappers and max(wrappers) <= 0, wrappers

    page.goto(url(live_server, acme, "/console/onboarding/runs/"))
    assert page.locator("#onboarding-runs").is_visible()
    assert page.evaluate(OVERFLOW, [])["page"] <= 0
    wrappers = page.evaluate(
        """() => [...document.querySelectorAll('.table-responsive')]
                 .map((el) => el.scrollWidth - el.clientWidth)"""
    )
    assert max(wrappers) <= 0, wrappers
    context.close()
