"""Domain events survive a broker outage (issue 15): Redis runs with a real worker and delivers;
stopped under the worker's feet, changes still commit and their events wait in the outbox
(tenancy.events); once Redis is back the same worker's relay delivers every one to a webhook
receiver, in order per deal, none twice.

The broker is a Redis server of this test's own on a free port (stopped and started here), the
worker a real Celery process (tests/test_worker.py's), the receiver a local HTTP server.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections import defaultdict

import pytest

from dealreg.models import DealStatus
from dealreg.services.outcomes import deal_outcome
from dealreg.tests.test_conflicts import approve, ready, register
from integrations import webhooks
from integrations.models import WebhookDelivery
from integrations.tasks import sweep
from integrations.tests.receiver import Receiver
from prm.celery import app as celery_app
from tenancy.context import tenant_context
from tenancy.models import DomainEvent

from .test_worker import (  # noqa: F401  (worker_queue: the fixture)
    free_port,
    spawn_worker,
    stop_worker,
    wait_for,
    worker_queue,
)

pytestmark = pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")


class Broker:
    def __init__(self):
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        assert wait_for(self._up, timeout=10), "redis-server did not start"

    def _up(self) -> bool:
        import socket

        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _point_celery_at(url: str) -> None:
    celery_app.conf.broker_url = url
    # Connections and producers are pooled per broker URL when first used: start afresh.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker(worker_queue):  # noqa: F811
    broker = Broker()
    saved = celery_app.conf.broker_url
    _point_celery_at(broker.url)
    yield broker
    broker.stop()
    _point_celery_at(saved)


def test_events_wait_for_the_broker_and_then_all_go_in_order_once(acme, broker):
    """The broker runs with a worker and delivers; it is stopped under the worker's feet, the
    changes go on committing and their events wait; it is started again, the same worker
    reconnects, and every event goes out in order per deal, each once."""
    receiver = Receiver().start()
    broker.start()
    worker = spawn_worker(
        celery_app.conf.task_default_queue,
        free_port(),  # no mail goes out in this test
        REDIS_URL=broker.url,
        WEBHOOKS_ALLOW_PRIVATE_NETWORKS="true",
    )
    try:
        with tenant_context(acme.tenant):
            webhooks.endpoint_create(
                actor=acme.actor(acme.admin),
                url=receiver.url,
                event_types=["deal.submitted", "deal.approved", "deal.won"],
            )
        ready(acme)

        def close(deal):
            with tenant_context(acme.tenant):
                deal_outcome(
                    actor=acme.actor(acme.partner_sales), registration=deal, outcome=DealStatus.WON
                )

        # The broker is up: a deal's events reach the receiver through the worker.
        before = register(
            acme, acme.partner_sales, customer_name="Before", customer_domain="before.io"
        )
        before = approve(acme, before)
        close(before)
        assert wait_for(lambda: len(receiver.received) >= 3, timeout=60), (
            f"{len(receiver.received)} of 3 delivered while the broker was up"
        )

        # The broker stops (the worker stays): each change commits, its events stay in the outbox.
        broker.stop()
        started = time.monotonic()
        deals = [before]
        for name in ("Alpha", "Beta", "Gamma"):
            deal = register(
                acme, acme.partner_sales, customer_name=name, customer_domain=f"{name}.io"
            )
            deal = approve(acme, deal)
            close(deal)
            deals.append(deal)
        assert time.monotonic() - started < 120
        waiting = DomainEvent.objects.unscoped().filter(tenant=acme.tenant, dispatched_at=None)
        assert waiting.count() == 9
        assert len(receiver.received) == 3

        # The broker is back on the same address; the worker reconnects; beat's sweep (sent
        # here) finds the waiting events.
        broker.start()
        sweep.delay()
        assert wait_for(lambda: len(receiver.received) >= 12, timeout=120), (
            f"{len(receiver.received)} of 12 delivered"
        )
        time.sleep(1)  # nothing more arrives
    finally:
        stop_worker(worker)
        receiver.stop()

    ids = [r.headers["PRM-Event-Id"] for r in receiver.received]
    assert len(ids) == len(set(ids)) == 12  # none twice
    per_deal = defaultdict(list)
    for request in receiver.received:
        body = request.json
        per_deal[body["data"]["deal"]].append(body["type"])
    assert per_deal == {
        str(deal.uuid): ["deal.submitted", "deal.approved", "deal.won"] for deal in deals
    }
    assert not DomainEvent.objects.unscoped().filter(dispatched_at=None).exists()
    statuses = set(WebhookDelivery.objects.unscoped().values_list("status", "attempts"))
    assert statuses == {("sent", 1)}
