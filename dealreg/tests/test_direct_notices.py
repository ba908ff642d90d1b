"""Direct sales hear about partner registrations on the accounts they own: when a partner
registers on the account and when a lock on it is approved (also automatically), by mail (through
tenancy.notifications.notify); nobody when the account has no owner; once per event."""

from __future__ import annotations

import pytest
from django.core import mail

from dealreg.services.decisions import deal_approve
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail

from .pipeline_data import make_account
from .test_conflicts import ready, register
from .test_decisions import decide, set_rules

pytestmark = pytest.mark.django_db
REGISTERED, LOCKED = "dealreg.direct_registered", "dealreg.direct_locked"


def mails(world, kind):
    with tenant_context(world.tenant):
        return list(OutboundEmail.objects.filter(kind=kind).order_by("id"))


def test_the_owner_hears_of_the_registration_and_of_the_approved_lock(
    acme, django_capture_on_commit_callbacks
):
    ready(acme)
    account = make_account(acme, name="Initech", domain="initech.com", owner=acme.sales)
    with django_capture_on_commit_callbacks(execute=True):
        deal = register(acme, acme.partner_sales)  # https://www.Initech.com/about → initech.com
    assert deal.account_id == account.pk
    (row,) = mails(acme, REGISTERED)
    assert row.recipient_email == acme.sales.email and row.recipient_id == acme.sales.pk
    assert row.source_uuid == deal.uuid and row.partner_uuid == acme.partner.uuid
    assert acme.partner.name in row.subject and "Initech" in row.subject
    assert "125,000.00 USD" in row.body_text and str(account.uuid) in row.body_text
    sent = [m for m in mail.outbox if m.to == [acme.sales.email]]
    assert len(sent) == 1 and "registered a deal on your account" in sent[0].subject
    assert not mails(acme, LOCKED)

    with django_capture_on_commit_callbacks(execute=True):
        deal = decide(acme, acme.manager, deal, deal_approve, reason="ok")
    (row,) = mails(acme, LOCKED)
    assert row.recipient_email == acme.sales.email
    assert "now holds your account Initech" in row.subject
    assert acme.manager.email in row.body_text  # whom to talk to
    assert len(mails(acme, REGISTERED)) == 1  # not again


def test_nobody_is_told_about_an_unowned_account(acme):
    ready(acme)
    deal = register(acme, acme.partner_sales)
    assert deal.account.owner_id is None
    decide(acme, acme.manager, deal, deal_approve)
    assert not mails(acme, REGISTERED) and not mails(acme, LOCKED)


def test_an_owned_account_is_never_auto_approved_so_the_rep_hears_before_any_lock(acme):
    ready(acme)
    make_account(acme, name="Initech", domain="initech.com", owner=acme.sales)
    set_rules(acme, auto_approve=True)
    with tenant_context(acme.tenant):
        # direct_owned is a conflict: a person decides, after the rep has been told.
        deal = register(acme, acme.partner_sales)
    assert deal.status == "submitted" and len(mails(acme, REGISTERED)) == 1
    assert not mails(acme, LOCKED)


def test_an_inactive_owner_is_not_mailed(acme):
    ready(acme)
    acme.sales.is_active = False
    acme.sales.save(update_fields=["is_active"])
    make_account(acme, name="Initech", domain="initech.com", owner=acme.sales)
    deal = register(acme, acme.partner_sales)
    with tenant_context(acme.tenant):
        deal_approve(actor=actor_for_user(acme.admin, acme.tenant), registration=deal)
    assert not mails(acme, REGISTERED) and not mails(acme, LOCKED)
