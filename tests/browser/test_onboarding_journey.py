"""Onboarding in a real browser, with a real SMTP server: a partner admin signs the agreement in
the portal; the workflow sends the welcome kit (read from the SMTP sink); the colleague it invites
follows the link, sets a password, gets the first-login tour and completes the setup wizard."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import time

import pytest
from aiosmtpd.controller import Controller

from enablement.lms.tests.factories import make_course
from onboarding.models import AgreementSignature, MilestoneKey, OnboardingRun, TourState
from onboarding.tests.factories import AgreementTemplateFactory
from partners.models import ContactRole, LifecycleState
from partners.tests.factories import PartnerContactFactory
from tenancy.context import tenant_context
from tenancy.models import Membership
from tenancy.tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Sink:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_sink(settings):
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield sink
    controller.stop()


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_signing_sends_the_welcome_kit_and_the_invitee_joins_tours_and_completes_the_wizard(
    live_server, page, acme, settings, smtp_sink
):
    settings.PRM_URL_PORT = live_server.url.rsplit(":", 1)[1]
    partner = acme.partner
    with tenant_context(acme.tenant):
        partner.state = LifecycleState.APPROVED
        partner.website = ""
        partner.save(update_fields=["state", "website"])
        AgreementTemplateFactory(tenant=acme.tenant, title="Acme Partner Agreement")
        course = make_course(acme.tenant, title="Partner 101", quiz=False)
        course.is_foundation = True
        course.save(update_fields=["is_foundation"])
        PartnerContactFactory(
            tenant=acme.tenant,
            partner=partner,
            name="Dana Director",
            email="dana@acme-partner.test",
            role=ContactRole.PRIMARY,
        )

    # The partner admin signs the agreement in the portal.
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.partner_admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/$"))
    # Their first portal visit starts the tour; they close it (Escape) and it stays closed.
    page.locator(".driver-popover").wait_for(state="visible")
    page.keyboard.press("Escape")
    page.locator(".driver-popover").wait_for(state="hidden")
    assert wait_for(lambda: TourState.objects.unscoped().filter(user=acme.partner_admin).exists())
    page.goto(url(live_server, acme, "/portal/agreement/"))
    assert not page.locator(".driver-popover").is_visible()
    assert "Acme Partner Agreement" in page.content()
    page.fill("input[name=signer_name]", "Pat Partner")
    page.fill("input[name=signer_title]", "CEO")
    page.check("input[name=agree]")
    page.click("form[action='/portal/agreement/'] button[type=submit]")
    page.wait_for_url(re.compile(r"/portal/agreement/$"))
    assert "Pat Partner" in page.content()
    with tenant_context(acme.tenant):
        signature = AgreementSignature.objects.get(partner=partner)
        assert signature.signer_name == "Pat Partner" and signature.ip_address
        assert OnboardingRun.objects.get(partner=partner).status == "done"

    # The welcome kit reaches the SMTP server: the invited contact's carries the invite link and
    # names the channel manager.
    assert wait_for(lambda: any("dana@acme-partner.test" in m["To"] for m in smtp_sink.messages)), [
        m["To"] for m in smtp_sink.messages
    ]
    kit = next(m for m in smtp_sink.messages if "dana@acme-partner.test" in m["To"])
    assert "welcome kit" in kit["Subject"]
    body = text_of(kit)
    assert acme.manager.email in body
    link = re.search(r"http://\S+/invitations/\S+/", body).group(0)

    # The invitee sets a password and lands in the portal, where the tour starts by itself.
    invitee = page.context.browser.new_context().new_page()
    invitee.set_default_timeout(15000)
    invitee.goto(link)
    invitee.fill("input[name=full_name]", "Dana Director")
    invitee.fill("input[name=password1]", "harbour-comet-58")
    invitee.fill("input[name=password2]", "harbour-comet-58")
    invitee.click("form button[type=submit]")
    invitee.wait_for_url(re.compile(r"/portal/$"))
    with tenant_context(acme.tenant):
        joined = Membership.objects.get(user__email="dana@acme-partner.test")
    assert joined.role == "partner_admin" and joined.partner_organization == partner

    popover = invitee.locator(".driver-popover")
    popover.wait_for(state="visible")
    stops = 0
    while invitee.locator(".driver-popover-next-btn").is_visible() and stops < 20:
        stops += 1
        invitee.click(".driver-popover-next-btn")
        invitee.wait_for_timeout(150)
        if not invitee.locator(".driver-popover").is_visible():
            break
    assert stops >= 3, "the tour should walk through several areas"
    assert wait_for(lambda: TourState.objects.unscoped().filter(user=joined.user).exists())

    # The setup wizard completes the profile fields the IPP scores on, one step at a time.
    invitee.goto(url(live_server, acme, "/portal/setup/"))
    invitee.wait_for_url(re.compile(r"/portal/setup/company/$"))
    invitee.fill("input[name=website]", "https://acme-partner.test")
    invitee.select_option("select[name=hq_country]", "DE")
    invitee.click("form button[type=submit]:has-text('Next')")
    invitee.wait_for_url(re.compile(r"/portal/setup/market/$"))
    invitee.check("input[name=regions][value=EMEA]")
    invitee.fill("input[name=industries]", "Manufacturing, Retail")
    invitee.select_option("select[name=employee_band]", "51")
    invitee.select_option("select[name=revenue_band]", "10")
    invitee.click("form button[type=submit]:has-text('Next')")
    invitee.wait_for_url(re.compile(r"/portal/setup/capabilities/$"))
    invitee.fill("input[name=skills]", "Kubernetes, Security")
    invitee.select_option("select[name=sales_motion]", "solution")
    invitee.click("form button[type=submit]:has-text('Finish')")
    invitee.wait_for_url(re.compile(r"/portal/onboarding/$"))
    with tenant_context(acme.tenant):
        partner.refresh_from_db()
        assert partner.skills == ["Kubernetes", "Security"] and partner.regions == ["EMEA"]
        assert partner.milestones.filter(key=MilestoneKey.PROFILE_COMPLETE).exists()

    # A second visit: the tour does not start again.
    invitee.goto(url(live_server, acme, "/portal/"))
    invitee.wait_for_timeout(500)
    assert not invitee.locator(".driver-popover").is_visible()
    invitee.context.close()
