"""Every deal-registration page a person reads, rendered with data in every state, shows no
internal code: no choice value (statuses, conflict kinds, history actions, regions' keys in
prose) and no field name. Codes may sit in attributes (data-kind, values), never in the text."""

from __future__ import annotations

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from dealreg.models import Dispute, ExtensionRequest
from dealreg.models.registrations import EVENT_LABELS
from dealreg.services.conflicts import KINDS
from dealreg.services.decisions import deal_approve
from dealreg.services.registration import FIELDS
from dealreg.services.rules_admin import deal_rules_save
from dealreg.services.sla import sla_remind
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .pipeline_data import make_account
from .test_conflicts import ready, register
from .test_routing import add_rule

pytestmark = pytest.mark.django_db

CODES = (
    set(KINDS)
    | {c for c in EVENT_LABELS if "_" in c}
    | {"under_review", "decided_on_time", "due_soon", "on_time", "decided_late"}
    | {f for f in FIELDS if "_" in f}
    | {"close_date_max_months", "country_regions", "min_value_currency"}
)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def codes_in(html: str) -> set[str]:
    text = visible_text(html)
    return {code for code in CODES if re.search(rf"\b{re.escape(code)}\b", text)}


@pytest.fixture
def busy(acme):
    """Registrations in several states with conflicts, history, an extension and a dispute."""
    ready(acme)
    with tenant_context(acme.tenant):
        admin = actor_for_user(acme.admin, acme.tenant)
        deal_rules_save(actor=admin, required_fields=["customer_domain", "region"])
    add_rule(acme, name="EMEA", region="EMEA", countries=["DE"])
    account = make_account(acme, name="Acme Corp", domain="acme.com", owner=acme.sales)
    first = register(
        acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com"
    )
    make_account(acme, name="Acme Corporation Holdings", domain="acmeholdings.com")
    second = register(
        acme, acme.other_partner_admin, customer_name="Acme Corp", customer_domain="acme.com"
    )
    with tenant_context(acme.tenant):
        admin = actor_for_user(acme.admin, acme.tenant)
        approved = deal_approve(actor=admin, registration=first, reason="ok")
        type(second).objects.filter(pk=second.pk).update(
            sla_due_at=timezone.now() + timedelta(hours=1)
        )
        second.refresh_from_db()
        sla_remind(registration=second, now=timezone.now())
        extension = ExtensionRequest.objects.create(
            tenant=acme.tenant, registration=approved, requested_by=acme.partner_sales, reason="x"
        )
        dispute = Dispute.objects.create(
            tenant=acme.tenant,
            account=account,
            registration=approved,
            raised_by=acme.sales,
            reason="Ours",
        )
    return {"approved": approved, "pending": second, "extension": extension, "dispute": dispute}


def test_console_pages_show_no_internal_codes(acme, busy):
    client = acme.client(acme.admin)
    account = busy["approved"].account
    urls = [
        reverse("console_deals"),
        reverse("console_deal_queue"),
        reverse("console_deal_detail", kwargs={"deal_uuid": busy["approved"].uuid}),
        reverse("console_deal_detail", kwargs={"deal_uuid": busy["pending"].uuid}),
        reverse("console_deal_extensions"),
        reverse("console_deal_locks") + "?q=acme",
        reverse("console_account_detail", kwargs={"account_uuid": account.uuid}),
        reverse("console_disputes"),
        reverse("console_dispute_detail", kwargs={"dispute_uuid": busy["dispute"].uuid}),
        reverse("console_deal_reports"),
        reverse("console_deal_routing"),
        reverse("console_deal_rules"),
        reverse("deal_rules_public"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert codes_in(response.content.decode()) == set(), url
    routing = visible_text(client.get(reverse("console_deal_routing")).content.decode())
    assert "Germany" in routing and not re.search(r"\bDE\b", routing)


def test_portal_pages_show_no_internal_codes(acme, busy):
    pages = [
        (acme.partner_sales, reverse("portal_deals")),
        (acme.partner_sales, reverse("portal_deal_board")),
        (acme.partner_sales, reverse("portal_deal_register")),
        (
            acme.partner_sales,
            reverse("portal_deal_detail", kwargs={"deal_uuid": busy["approved"].uuid}),
        ),
        (
            acme.other_partner_admin,
            reverse("portal_deal_detail", kwargs={"deal_uuid": busy["pending"].uuid}),
        ),
        (acme.partner_admin, reverse("portal_disputes")),
    ]
    for user, url in pages:
        response = acme.client(user).get(url)
        assert response.status_code == 200, url
        assert codes_in(response.content.decode()) == set(), url
