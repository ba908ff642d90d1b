"""The lock under concurrency: two partners' registrations for one account approved at the same
moment from two threads (each with its own database connection) — exactly one wins, the other is
refused with the clear reason. The database constraint holds even without the service."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from dealreg.models import DealRegistration, DealStatus
from dealreg.services.decisions import deal_approve
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .test_conflicts import ready, register

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite", reason="SQLite cannot run two concurrent writers"
    ),
]


def test_two_simultaneous_approvals_for_one_account_exactly_one_wins(acme):
    ready(acme)
    first = register(
        acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com"
    )
    second = register(
        acme, acme.other_partner_admin, customer_name="ACME Inc", customer_domain="acme.com"
    )
    assert first.account_id == second.account_id
    barrier = threading.Barrier(2)
    results: dict[int, object] = {}

    def approve(deal):
        try:
            with tenant_context(acme.tenant):
                actor = actor_for_user(acme.admin, acme.tenant)
                barrier.wait(timeout=10)
                results[deal.pk] = deal_approve(actor=actor, registration=deal, reason="race")
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results[deal.pk] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(deal,)) for deal in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    won = [r for r in results.values() if isinstance(r, DealRegistration)]
    lost = [r for r in results.values() if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "already locked by another registration" in str(lost[0])
    with tenant_context(acme.tenant):
        statuses = sorted(
            DealRegistration.objects.filter(pk__in=[first.pk, second.pk]).values_list(
                "status", flat=True
            )
        )
    assert statuses == [DealStatus.APPROVED, DealStatus.SUBMITTED]


def test_the_database_refuses_a_second_approved_registration_per_account(acme):
    ready(acme)
    first = register(
        acme, acme.partner_sales, customer_name="Acme Corp", customer_domain="acme.com"
    )
    second = register(
        acme, acme.other_partner_admin, customer_name="Acme", customer_domain="acme.com"
    )
    with tenant_context(acme.tenant):
        DealRegistration.objects.filter(pk=first.pk).update(status=DealStatus.APPROVED)
        with pytest.raises(IntegrityError), transaction.atomic():
            DealRegistration.objects.filter(pk=second.pk).update(status=DealStatus.APPROVED)
