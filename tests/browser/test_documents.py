"""The shared console pages of a versioned document in a real browser, for both documents: the
program admin writes a draft, the live preview follows their typing (htmx, sanitised), and they
publish it after the confirmation."""

from __future__ import annotations

import re

import pytest

from onboarding.models import AgreementTemplate
from partners.models import RulesOfEngagement
from tenancy.context import tenant_context
from tenancy.tests.factories import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCUMENTS = [
    ("/console/program/rules/", RulesOfEngagement),
    ("/console/onboarding/agreements/", AgreementTemplate),
]


def url(live_server, world, path="/"):
    port = live_server.url.rsplit(":", 1)[1]
    return f"http://{world.tenant.slug}.localhost:{port}{path}"


@pytest.mark.parametrize(("path", "model"), DOCUMENTS)
def test_admin_drafts_previews_live_and_publishes(live_server, page, acme, path, model):
    page.goto(url(live_server, acme, "/accounts/login/"))
    page.fill("input[name=login]", acme.admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_code())
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/console/$"))

    page.goto(url(live_server, acme, path))
    page.fill("input[name=title]", "Fair play")
    page.fill("textarea[name=body]", "# Fair play\n\nFirst to register wins.")
    page.click(f"form[action='{path}'] button[type=submit]")
    page.wait_for_url(re.compile(path + r"[0-9a-f-]{36}/$"))
    preview = page.locator("#document-preview")
    assert "First to register wins." in preview.inner_text()

    # Typing re-renders the preview through the sanitiser, without saving.
    page.fill("textarea[name=body]", "Now **bold**<script>window.leaked = 1</script>")
    page.locator("#document-preview strong").wait_for()
    assert preview.locator("strong").inner_text() == "bold"
    assert preview.locator("script").count() == 0
    assert page.evaluate("window.leaked") is None

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("form[data-confirm] button[type=submit]").click()
    page.locator(".badge", has_text="Current").first.wait_for()
    with tenant_context(acme.tenant):
        document = model.objects.get()
        assert document.published_at is not None and document.version == 1
        # Browsers submit CRLF line ends; the unsaved preview text never reached the row.
        assert document.body.replace("\r\n", "\n") == "# Fair play\n\nFirst to register wins."
