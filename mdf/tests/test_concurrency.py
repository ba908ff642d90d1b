"""Two requests at the same moment that together exceed the balance: exactly one is held, the
other refused with the balance left; the allocation never goes below zero."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from mdf.models import Allocation, FundRequest
from mdf.services import requests as mdf
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

from .helpers import funded, request_data

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite", reason="SQLite cannot run two concurrent writers"
    ),
]


def test_two_concurrent_requests_exceeding_the_balance_exactly_one_succeeds(acme):
    _fund, allocation = funded(acme, amount="10000")
    barrier = threading.Barrier(2)
    results: list[object] = []

    def submit(user, title):
        try:
            with tenant_context(acme.tenant):
                actor = actor_for_user(user, acme.tenant)
                barrier.wait(timeout=10)
                results.append(
                    mdf.request_submit(
                        actor=actor,
                        allocation=allocation,
                        **request_data(title=title, amount=Decimal("6000")),
                    )
                )
        except Exception as error:  # noqa: BLE001 - the test inspects what each thread got
            results.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=submit, args=(acme.partner_admin, "Event A")),
        threading.Thread(target=submit, args=(acme.partner_marketing, "Event B")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    won = [r for r in results if isinstance(r, FundRequest)]
    lost = [r for r in results if isinstance(r, ValidationError)]
    assert len(won) == 1 and len(lost) == 1, results
    assert "Not enough funds: 4,000.00 USD is available" in str(lost[0])
    with tenant_context(acme.tenant):
        fresh = Allocation.objects.get(pk=allocation.pk)
        assert (fresh.held, fresh.available) == (Decimal("6000.00"), Decimal("4000.00"))
        assert FundRequest.objects.count() == 1
