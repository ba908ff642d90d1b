"""A channel manager onboards an applicant alone, in a real browser: the application is routed to
them, they approve it from "Awaiting me", invite the applicant as partner admin on the partner's
People page and send the agreement from its Agreement page."""

from __future__ import annotations

import re

import pytest

from onboarding.models import AgreementSend
from partners.models import ApplicationRoutingRule, LifecycleState, PartnerOrganization
from partners.services.applications import application_submit
from tenancy.context import tenant_context
from tenancy.models import Invitation
from tenancy.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def test_manager_approves_invites_and_sends_the_agreement(live_server, page, acme):
    from onboarding.tests.test_agreements_services import publish

    publish(acme, title="Partner terms")
    with tenant_context(acme.tenant):
        ApplicationRoutingRule.objects.create(
            tenant=acme.tenant, name="DACH", countries=["DE"], channel_manager=acme.manager
        )
        application = application_submit(
            company_name="Umbrella Networks",
            website="https://umbrella.example",
            contact_name="Uma Brell",
            contact_email="uma@umbrella.example",
            partner_types=["reseller"],
            country="DE",
        )
    partner = application.partner

    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))

    page.goto(url(live_server, acme, "/console/applications/"))
    row = page.locator("#applications tbody tr", has_text="Umbrella Networks")
    assert "Routing rule" in row.inner_text()
    page.screenshot(path="/tmp/routing-awaiting.png", full_page=True)
    row.locator("a", has_text="Umbrella Networks").click()
    page.locator("#approve-form").wait_for()
    assert "DACH" in page.locator("#application-assignment").inner_text()
    page.screenshot(path="/tmp/routing-detail.png", full_page=True)
    page.click("#approve-form button[type=submit]")
    page.wait_for_url(re.compile(rf"/console/partners/{partner.uuid}/users/$"))
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.get(pk=partner.pk).state == LifecycleState.APPROVED

    invite = page.locator("#invite-form")
    invite.locator("input[name=email]").fill("uma@umbrella.example")
    invite.locator("select[name=role]").select_option("partner_admin")
    invite.locator("button[type=submit]").click()
    page.locator("#partner-invitations", has_text="uma@umbrella.example").wait_for()
    page.screenshot(path="/tmp/routing-users.png", full_page=True)
    with tenant_context(acme.tenant):
        assert Invitation.objects.filter(email="uma@umbrella.example", invited_by=acme.manager)

    page.goto(url(live_server, acme, f"/console/partners/{partner.uuid}/agreement/"))
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#agreement-send-form button[type=submit]")
    page.locator("#agreement-sends tbody", has_text="uma@umbrella.example").wait_for()
    page.screenshot(path="/tmp/routing-agreement.png", full_page=True)
    with tenant_context(acme.tenant):
        assert AgreementSend.objects.filter(partner=partner, to_email="uma@umbrella.example")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
