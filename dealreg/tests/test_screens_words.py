"""Deal-registration screens in human words: conflict kinds and name similarity on the approver's
page, history actions without "submitted → Submitted", history notes with formatted dates (not
ISO), confirmations on approve / reject / extend, money with separators and currency."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealEvent, DealStatus
from dealreg.services.conflicts import KINDS
from dealreg.services.extensions import extension_request
from dealreg.services.sla import sla_remind
from dealreg.services.transitions import when_text
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .pipeline_data import make_account, make_deal
from .test_conflicts import ready, register

pytestmark = pytest.mark.django_db
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def detail(world, user, deal):
    return world.client(user).get(reverse("console_deal_detail", kwargs={"deal_uuid": deal.uuid}))


def test_the_approver_sees_conflicts_and_history_in_words(acme):
    ready(acme)
    make_account(acme, name="Acme Corp", domain="acme.com", owner=acme.sales)
    register(acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com")
    make_account(acme, name="Acme Corporation Holdings", domain="acmeholdings.com")
    mine = register(
        acme, acme.other_partner_admin, customer_name="Acme Corp", customer_domain="acme.com"
    )
    kinds = {e["kind"] for e in mine.conflicts}
    assert {"same_domain", "direct_owned"} <= kinds
    response = detail(acme, acme.admin, mine)
    assert response.status_code == 200
    html = response.content.decode()
    conflicts = html[html.index('id="deal-conflicts"') : html.index('id="deal-decision"')]
    assert "Same customer registered" in conflicts and "Owned by direct sales" in conflicts
    for kind in KINDS:
        assert f">{kind}<" not in conflicts  # codes only in data attributes
    assert "score" not in conflicts
    if "similar_name" in kinds:
        assert "% alike" in conflicts
    history = html[html.index('id="deal-history"') :]
    assert "Submitted" in history and "→ Submitted" not in history
    assert ">submitted<" not in history
    # Money with separators and currency.
    assert "125,000.00 USD" in html
    # Approve and reject each ask first.
    assert re.search(r'id="deal-approve"\s+data-confirm="Approve\? ', html)
    assert re.search(
        r'id="deal-reject"[^>]*data-confirm="Reject the registration of Acme Corp', html
    )


def test_history_notes_give_dates_in_the_one_format_not_iso(acme):
    ready(acme)
    deal = register(acme, acme.partner_sales)
    due = timezone.now() + timedelta(hours=2)
    with tenant_context(acme.tenant):
        type(deal).objects.filter(pk=deal.pk).update(sla_due_at=due, sla_reminded_at=None)
        deal.refresh_from_db()
        assert sla_remind(registration=deal, now=timezone.now()) == 1
        note = DealEvent.objects.get(registration=deal, action="sla_reminder").note
    assert not ISO_MOMENT.search(note) and due.isoformat()[:10] not in note
    assert note == f"Decision due {when_text(due)}."
    assert str(due.year) in note and note.endswith("UTC.")
    page = detail(acme, acme.admin, deal).content.decode()
    assert "Approver reminded" in page and ">sla_reminder<" not in page


def test_extension_decisions_ask_first(acme):
    ready(acme)
    deal = make_deal(acme, status=DealStatus.APPROVED, customer_name="Hooli")
    with tenant_context(acme.tenant):
        extension_request(
            actor=actor_for_user(acme.partner_sales, acme.tenant),
            registration=deal,
            reason="Budget slipped",
        )
    html = acme.client(acme.admin).get(reverse("console_deal_extensions")).content.decode()
    assert "Extend the lock of Acme Partner One on Hooli?" in html
    assert "Refuse more time to Acme Partner One on Hooli?" in html
