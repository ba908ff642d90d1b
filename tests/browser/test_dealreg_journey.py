"""Deal registration in a real browser: a partner registers a deal beside the public rules and is
warned of a possible conflict (without learning who holds it); the direct rep who owns the account
is told; the channel manager approves it from the queue (after a confirmation); the rep is told
again and finds the lock in the deal-lock view."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dealreg.models import DealRegistration, DealStatus
from dealreg.services.accounts import account_for
from onboarding.models import Benefit, BenefitGate
from partners.models import LifecycleState
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail
from tenancy.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def login(page, live_server, world, user):
    page.goto(url(live_server, world, "/accounts/login/"))
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/(portal|console)/(analytics/)?$"))  # executives: the KPIs
    if page.locator(".driver-popover").count():  # the partner portal's first-login tour
        page.keyboard.press("Escape")


def login_with_totp(page, live_server, world, user):
    """A program admin's login: password, then the TOTP code (program admins must use MFA)."""
    from tenancy.tests.factories import totp_code

    page.goto(url(live_server, world, "/accounts/login/"))
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code())
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))


def test_register_with_conflict_warning_approve_in_queue_and_find_the_lock(live_server, page, acme):
    now = timezone.now()
    with tenant_context(acme.tenant):
        for partner in (acme.partner, acme.other_partner):
            partner.state = LifecycleState.ACTIVE
            partner.save(update_fields=["state"])
        # Deal registration needs no onboarding step in this program.
        BenefitGate.objects.create(
            tenant=acme.tenant, benefit=Benefit.DEAL_REGISTRATION, requirements=[]
        )
        # Another partner holds Helios Health Group.
        held = account_for(name="Helios Health Group", domain="helioshealth.example")
        DealRegistration.objects.create(
            tenant=acme.tenant,
            partner=acme.other_partner,
            account=held,
            customer_name=held.name,
            customer_domain=held.domain,
            estimated_value=Decimal("40000"),
            expected_close_date=(now + timedelta(days=40)).date(),
            status=DealStatus.APPROVED,
            approved_at=now - timedelta(days=3),
            expires_at=now + timedelta(days=87),
        )
        # The direct rep owns the account the partner is about to register.
        owned = account_for(name="Helios Health Inc.", domain="helios-health.example")
        owned.owner = acme.sales
        owned.save(update_fields=["owner"])

    # The partner registers "Helios Health Inc." beside the rules.
    login(page, live_server, acme, acme.partner_sales)
    page.goto(url(live_server, acme, "/portal/deals/register/"))
    assert page.locator("#deal-rules").is_visible()
    page.fill("input[name=customer_name]", "Helios Health Inc.")
    page.fill("input[name=customer_domain]", "helios-health.example")
    page.select_option("select[name=region]", "EMEA")
    page.fill("input[name=estimated_value]", "52000")
    page.fill("input[name=expected_close_date]", (now + timedelta(days=50)).date().isoformat())
    page.click("button:has-text('Submit registration')")
    page.wait_for_url(re.compile(r"/portal/deals/[0-9a-f-]{36}/$"))
    warning = page.content()
    assert "possible conflict" in warning.lower()
    assert acme.other_partner.name not in warning  # never who holds it
    # The direct rep who owns the account is told at once.
    with tenant_context(acme.tenant):
        told = OutboundEmail.objects.get(kind="dealreg.direct_registered")
    assert told.recipient_email == acme.sales.email and acme.partner.name in told.subject

    # The channel manager approves it from the queue.
    manager = page.context.browser.new_context().new_page()
    manager.set_default_timeout(15000)
    login(manager, live_server, acme, acme.manager)
    manager.goto(url(live_server, acme, "/console/deals/queue/"))
    manager.click("a:has-text('Helios Health Inc.')")
    manager.wait_for_url(re.compile(r"/console/deals/[0-9a-f-]{36}/$"))
    # The approver sees the conflict side by side, with the other partner named.
    assert acme.other_partner.name in manager.content()
    manager.fill("#deal-decision textarea[name=reason], #deal-decision input[name=reason]", "OK")
    # Approving asks first, naming who will hold which account.
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    manager.once("dialog", answer)
    with manager.expect_navigation():
        manager.click("#deal-decision button:has-text('Approve')")
    assert questions and acme.partner.name in questions[0] and "Helios Health Inc." in questions[0]
    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get(customer_name="Helios Health Inc.")
    assert deal.status == DealStatus.APPROVED and deal.expires_at
    with tenant_context(acme.tenant):
        locked = OutboundEmail.objects.get(kind="dealreg.direct_locked")
    assert locked.recipient_email == acme.sales.email and "now holds" in locked.subject
    manager.context.close()

    # A direct sales rep searches the deal-lock view and finds the lock.
    rep = page.context.browser.new_context().new_page()
    rep.set_default_timeout(15000)
    login(rep, live_server, acme, acme.sales)
    rep.goto(url(live_server, acme, "/console/deal-locks/"))
    rep.fill("input[name=q]", "helios-health.example")
    rep.keyboard.press("Enter")
    row = rep.locator("tr:has-text('Helios Health Inc.'), li:has-text('Helios Health Inc.')").first
    row.wait_for()
    assert "Locked" in row.inner_text() and acme.partner.name in row.inner_text()
    rep.context.close()
