"""A partner goes from a public application to a locked deal with no program-admin step (issue 11,
"channel managers and direct sales can do their jobs alone"), in Chromium:

apply (public form) → the assigned channel manager approves → the manager invites the partner
admin and sends the agreement → the partner admin joins, signs, the partner is onboarded → their
sales colleague registers a deal on an account a direct rep owns → the rep is told (mail and the
in-app bell) → the manager approves → the rep sees the lock (and is told of it).

Each step drives the UI. When a step cannot be done through the UI, the journey records why (and
which piece of work it waits for), puts the outcome in place through the services so the later
steps still run, and fails at the end listing every blocked step. Program set-up (an agreement
template, the deal-registration gate, the rep's account) is configuration done before, not a step.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from dealreg.models import DealRegistration, DealStatus
from dealreg.services.accounts import account_for
from onboarding.models import Benefit, BenefitGate
from onboarding.tests.factories import AgreementTemplateFactory
from partners.models import Application, LifecycleState, PartnerOrganization
from tenancy.context import tenant_context
from tenancy.models import Invitation
from tenancy.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPANY = "Bluefin Cloud Partners"
DOMAIN = "bluefin-cloud.example"
ADMIN_EMAIL = "jana@bluefin-cloud.example"
SALES_EMAIL = "omar@bluefin-cloud.example"
ACCOUNT = ("Helios Health Group", "helioshealth.example")


class Journey:
    """Steps in order; a blocked step is recorded with the work it waits for."""

    def __init__(self):
        self.blocked: list[str] = []

    @contextmanager
    def step(self, name: str, waits_for: str, fallback=None, missing: str = ""):
        """`missing`: what the UI lacks when an element the step needs never appears."""
        try:
            yield
        except Exception as error:  # noqa: BLE001 - any failure of a step is reported as such
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
            if missing and "Timeout" in first_line:
                first_line = f"{missing} ({first_line})"
            self.blocked.append(f"{name} [waits for: {waits_for}]: {first_line[:300]}")
            if fallback is not None:
                fallback()


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def new_page(browser):
    page = browser.new_context(viewport={"width": 1366, "height": 768}).new_page()
    page.set_default_timeout(10000)
    page.on("dialog", lambda dialog: dialog.accept())  # "Approve this registration?" etc.
    return page


def login(page, live_server, world, user):
    page.goto(url(live_server, world, "/accounts/login/"))
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/(portal|console)/$"))
    close_tour(page)


def close_tour(page):
    if page.locator(".driver-popover").count():  # the portal's first-visit tour
        page.keyboard.press("Escape")


def mails_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def invitation_link(address: str, wait_seconds: float = 10.0) -> str:
    """The newest invitation link mailed to `address`. The live server's thread may still be
    sending it when the page has loaded (seen on a loaded CI machine): wait for it a moment."""
    deadline = time.monotonic() + wait_seconds
    while True:
        for message in reversed(mails_to(address)):
            found = re.search(r"https?://\S+/invitations/[^\s/]+/", message.body)
            if found:
                return found.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"no invitation link mailed to {address}")
        time.sleep(0.1)


def accept_invitation(browser, link: str, name: str):
    page = new_page(browser)
    page.goto(link)
    page.fill("input[name=full_name]", name)
    page.fill("input[name=password1]", "harbour-comet-58")
    page.fill("input[name=password2]", "harbour-comet-58")
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))
    close_tour(page)
    return page


def test_from_application_to_locked_deal_without_a_program_admin(
    live_server, browser, acme, settings
):
    settings.PRM_URL_PORT = live_server.url.rsplit(":", 1)[1]  # links in mails
    journey = Journey()
    manager, rep = acme.manager, acme.sales
    with tenant_context(acme.tenant):
        AgreementTemplateFactory(tenant=acme.tenant, title="Acme Partner Agreement")
        # Registering deals needs no onboarding milestone in this program.
        BenefitGate.objects.create(
            tenant=acme.tenant, benefit=Benefit.DEAL_REGISTRATION, requirements=[]
        )
        # The account a direct rep owns (and works) already.
        account = account_for(name=ACCOUNT[0], domain=ACCOUNT[1])
        account.owner = rep
        account.save(update_fields=["owner"])
    # The only channel manager of the tenant: round robin, a rule or the queue all lead to them.
    acme.tenant.refresh_from_db()

    # 1. The prospect applies on the public form.
    applicant = new_page(browser)
    applicant.goto(url(live_server, acme, "/apply/"))
    form = applicant.locator("#application-form")
    form.locator("input[name=company_name]").fill(COMPANY)
    form.locator("input[name=website]").fill(f"https://www.{DOMAIN}/")
    form.locator("select[name=country]").select_option("DE")
    form.locator("input[name=regions][value=EMEA]").check()
    form.locator("input[name=partner_types][value=reseller]").check()
    form.locator("select[name=employee_band]").select_option("51")
    form.locator("input[name=contact_name]").fill("Jana Novak")
    form.locator("input[name=contact_email]").fill(ADMIN_EMAIL)
    form.locator("button[type=submit]").click()
    applicant.wait_for_url(re.compile(r"/apply/thanks/$"))
    applicant.context.close()
    with tenant_context(acme.tenant):
        partner = PartnerOrganization.objects.get(domain=DOMAIN)
        application = Application.objects.get(partner=partner)
    assert partner.state == LifecycleState.APPLIED

    with journey.step("the applicant is acknowledged by email", "routing"):
        assert mails_to(ADMIN_EMAIL), "no acknowledgement mailed to the applicant"

    # 2. The assigned channel manager finds it in their queue (claiming it if it waits
    # unassigned) and approves it.
    def approve_without_ui():
        from partners.services.organization import partner_transition
        from tenancy.access import actor_for_user

        with tenant_context(acme.tenant):
            PartnerOrganization.objects.filter(pk=partner.pk).update(channel_manager=manager)
            partner.refresh_from_db()
            partner_transition(
                actor=actor_for_user(acme.admin, acme.tenant),
                partner=partner,
                to_state=LifecycleState.APPROVED,
                reason="journey fallback",
            )

    console = new_page(browser)
    login(console, live_server, acme, manager)
    with journey.step(
        "the assigned manager sees the application and approves it",
        "routing",
        approve_without_ui,
        missing="the application is not in the manager's /console/applications/ (nor to claim)",
    ):
        console.goto(url(live_server, acme, "/console/applications/"))
        link = console.locator(f"a[href*='{application.uuid}']").first
        unassigned = console.locator("#application-tabs a[href*='tab=unassigned']")
        if not link.count() and unassigned.count():  # no rule matched: the queue to claim from
            unassigned.click()
            console.wait_for_load_state()
        link.wait_for(timeout=5000)
        link.click()
        console.wait_for_url(re.compile(rf"/console/applications/{application.uuid}/$"))
        claim = console.locator("#claim-form button[type=submit]")
        if claim.count():
            claim.click()
            console.wait_for_load_state()
        console.locator("#approve-form button[type=submit]").click()
        console.wait_for_load_state()
        partner.refresh_from_db()
        assert partner.state == LifecycleState.APPROVED, f"partner is {partner.state}"
        assert partner.channel_manager_id == manager.pk, "the partner is not the manager's"
    partner.refresh_from_db()

    # 3. The manager invites the partner admin from the partner's page.
    def invite_without_ui():
        from tenancy.access import actor_for_user
        from tenancy.services import invitation_create

        with tenant_context(acme.tenant):
            invitation_create(
                actor=actor_for_user(acme.admin, acme.tenant),
                email=ADMIN_EMAIL,
                role="partner_admin",
                partner_organization=partner,
            )

    with journey.step(
        "the manager invites the partner admin",
        "routing",
        invite_without_ui,
        missing="no People page (/console/partners/<uuid>/users/) with #invite-form for managers",
    ):
        console.goto(url(live_server, acme, f"/console/partners/{partner.uuid}/"))
        console.locator(f"a[href*='/console/partners/{partner.uuid}/users/']").first.click(
            timeout=5000
        )
        invite = console.locator("#invite-form")
        invite.locator("input[name=email]").fill(ADMIN_EMAIL)
        invite.locator("select[name=role]").select_option("partner_admin")
        invite.locator("button[type=submit]").click()
        console.wait_for_load_state()
        with tenant_context(acme.tenant):
            assert Invitation.objects.filter(email=ADMIN_EMAIL, role="partner_admin").exists()

    # ... and sends the agreement (a mail asking the partner admin to sign, with the link).
    with journey.step(
        "the manager sends the agreement",
        "routing",
        missing="no Send/Resend agreement button on /console/partners/<uuid>/agreement/",
    ):
        sent_before = len(mails_to(ADMIN_EMAIL))
        console.goto(url(live_server, acme, f"/console/partners/{partner.uuid}/agreement/"))
        console.get_by_role("button", name=re.compile(r"(re)?send", re.I)).first.click(timeout=5000)
        console.wait_for_load_state()
        sent = mails_to(ADMIN_EMAIL)[sent_before:]
        assert any("/portal/agreement/" in m.body for m in sent), "no agreement mail"

    # 4. The partner admin joins, signs in the portal; the partner is onboarded (active).
    admin_page = accept_invitation(browser, invitation_link(ADMIN_EMAIL), "Jana Novak")
    admin_page.goto(url(live_server, acme, "/portal/agreement/"))
    assert "Acme Partner Agreement" in admin_page.content()
    admin_page.fill("input[name=signer_name]", "Jana Novak")
    admin_page.fill("input[name=signer_title]", "CEO")
    admin_page.check("input[name=agree]")
    admin_page.click("form[action='/portal/agreement/'] button[type=submit]")
    admin_page.wait_for_url(re.compile(r"/portal/agreement/$"))
    partner.refresh_from_db()
    assert partner.state == LifecycleState.ACTIVE, f"signed but {partner.state}"

    # The partner admin brings in their sales colleague.
    admin_page.goto(url(live_server, acme, "/portal/team/"))
    admin_page.fill("form[method=post] input[name=email]", SALES_EMAIL)
    admin_page.select_option("form[method=post] select[name=role]", "partner_sales")
    admin_page.click("form[method=post] button:has-text('Send invitation')")
    admin_page.wait_for_load_state()
    admin_page.context.close()
    seller = accept_invitation(browser, invitation_link(SALES_EMAIL), "Omar Seller")

    # 5. Partner sales registers a deal on the rep's account.
    seller.goto(url(live_server, acme, "/portal/deals/register/"))
    seller.fill("input[name=customer_name]", ACCOUNT[0])
    seller.fill("input[name=customer_domain]", ACCOUNT[1])
    if seller.locator("select[name=country]").count():
        seller.select_option("select[name=country]", "DE")
    if seller.locator("select[name=region]").count():
        seller.select_option("select[name=region]", "EMEA")
    seller.fill("input[name=estimated_value]", "52000")
    close = (timezone.now() + timedelta(days=50)).date().isoformat()
    seller.fill("input[name=expected_close_date]", close)
    seller.click("button:has-text('Submit registration')")
    seller.wait_for_url(re.compile(r"/portal/deals/[0-9a-f-]{36}/$"))
    seller.context.close()
    with tenant_context(acme.tenant):
        deal = DealRegistration.objects.get(partner=partner)
    assert deal.account_id == account.pk, "the registration is not on the rep's account"

    # 6. The direct rep is told: by mail, and by the bell in the console.
    with journey.step("the direct rep is mailed about the registration", "deal"):
        told = [m for m in mails_to(rep.email) if ACCOUNT[0] in m.body and partner.name in m.body]
        assert told, f"no mail to {rep.email} naming the account and the partner"
    rep_page = new_page(browser)
    login(rep_page, live_server, acme, rep)
    with journey.step("the direct rep sees the registration in the bell", "notif + deal"):
        badge = rep_page.locator("#notification-bell [data-unread]")
        assert badge.count(), "no unread notification in the bell"
        rep_page.locator("#notification-bell a").click()
        rep_page.wait_for_load_state()
        assert ACCOUNT[0] in rep_page.content(), "the notification does not name the account"

    # 7. The manager approves it from their queue.
    console.goto(url(live_server, acme, "/console/deals/queue/"))
    console.click(f"a:has-text('{ACCOUNT[0]}')")
    console.wait_for_url(re.compile(r"/console/deals/[0-9a-f-]{36}/$"))
    console.fill("#deal-decision textarea[name=reason], #deal-decision input[name=reason]", "OK")
    console.click("#deal-decision button:has-text('Approve')")
    console.wait_for_url(re.compile(r"/console/deals/[0-9a-f-]{36}/$"))
    deal.refresh_from_db()
    assert deal.status == DealStatus.APPROVED and deal.expires_at
    console.context.close()

    # 8. The rep is told of the lock and finds it in the deal-lock view.
    with journey.step("the direct rep is mailed about the approved lock", "deal"):
        locked = [m for m in mails_to(rep.email) if "approved" in m.body and ACCOUNT[0] in m.body]
        assert locked, f"no mail to {rep.email} saying the lock on {ACCOUNT[0]} is approved"
    with journey.step(
        "the direct rep sees the lock in the bell",
        "notif + deal",
        missing="no unread notification in the bell (#notification-bell [data-unread])",
    ):
        rep_page.goto(url(live_server, acme, "/console/"))
        rep_page.locator("#notification-bell [data-unread]").wait_for(timeout=3000)
    rep_page.goto(url(live_server, acme, "/console/deal-locks/"))
    rep_page.fill("input[name=q]", ACCOUNT[1])
    rep_page.keyboard.press("Enter")
    row = rep_page.locator(f"tr:has-text('{ACCOUNT[0]}'), li:has-text('{ACCOUNT[0]}')").first
    row.wait_for()
    assert "LOCKED" in row.inner_text().upper() and partner.name in row.inner_text()
    rep_page.context.close()

    assert not journey.blocked, "steps that need work before the journey runs alone:\n" + "\n".join(
        journey.blocked
    )
