"""Background work in a real Celery worker process, against the configured broker (Redis in CI).

A request writes a mail into the outbox; on commit its delivery is enqueued; the worker sends it
to a real SMTP server (aiosmtpd), and a delivery delivered twice sends once. `spawn_worker` and
the fixtures are shared with the other worker tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from prm.celery import app as celery_app
from tenancy.context import tenant_context
from tenancy.models import OutboundEmail
from tenancy.tasks import deliver_email

ROOT = Path(__file__).resolve().parent.parent


class Inbox:
    def __init__(self):
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


# The workflow enqueues follow-up tasks (the mail) from inside the worker: the worker process must
# send them to its own test queue too, so it sets the default queue before it starts.
WORKER_MAIN = (
    "import sys; from prm.celery import app; "
    "app.conf.task_default_queue = sys.argv[1]; "
    "app.worker_main(['worker', '-Q', sys.argv[1], '--concurrency', '1', '--pool', 'solo', "
    "'-l', 'info', '--without-heartbeat', '--without-gossip', '--without-mingle'])"
)


def spawn_worker(queue: str, smtp_port: int, **extra_env: str) -> subprocess.Popen:
    """A real Celery worker process consuming `queue`, sending mail to 127.0.0.1:smtp_port;
    `extra_env` overrides its environment (e.g. another broker's REDIS_URL)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "PRM_DATA_DIR": str(settings.DATA_DIR),
        "PRM_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # this test's own (root conftest)
        **extra_env,
    }
    return subprocess.Popen(
        [sys.executable, "-c", WORKER_MAIN, queue],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop_worker(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-6000:])  # shown by pytest when a test fails


@pytest.fixture
def worker_queue(transactional_db):
    """A test queue of its own: tasks sent during the test go there, not run in-process."""
    queue = f"test-{uuid.uuid4().hex[:10]}"
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "task_default_queue")}
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    yield queue
    celery_app.conf.update(saved)


@pytest.fixture
def worker(worker_queue, smtp):
    """A real Celery worker process on its own queue, sharing the test database and broker."""
    controller, _ = smtp
    process = spawn_worker(worker_queue, controller.port)
    yield process
    stop_worker(process)


def wait_for(predicate, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_mail_written_in_a_request_is_delivered_by_a_real_worker(acme, worker, smtp):
    _, inbox = smtp
    response = acme.client(acme.admin).post(
        reverse("console_team"), {"email": "worker@acme.test", "role": "marketing"}
    )
    assert response.status_code == 302
    assert wait_for(lambda: inbox.messages), "the worker never sent the invitation email"
    message = inbox.messages[0]
    assert "Acme" in message and "acme.localhost" in message and "worker@acme.test" in message
    with tenant_context(acme.tenant):
        row = OutboundEmail.objects.get(recipient_email="worker@acme.test")
    assert wait_for(lambda: OutboundEmail.objects.unscoped().get(pk=row.pk).status == "sent")
    assert OutboundEmail.objects.unscoped().get(pk=row.pk).attempts == 1


def test_a_mail_delivery_delivered_twice_sends_once(acme, worker, smtp):
    _, inbox = smtp
    with tenant_context(acme.tenant):
        from tenancy import services
        from tenancy.access import actor_for_user

        actor = actor_for_user(acme.admin, acme.tenant)
        celery_app.conf.task_always_eager = True  # write without delivering; we deliver below
        with transaction.atomic():
            services.invitation_create(actor=actor, email="twice@acme.test", role="marketing")
            services.invitation_create(actor=actor, email="sentinel@acme.test", role="marketing")
        celery_app.conf.task_always_eager = False
    rows = {r.recipient_email: r for r in OutboundEmail.objects.unscoped()}
    inbox.messages.clear()
    OutboundEmail.objects.unscoped().update(status="queued", attempts=0, sent_at=None)
    task_id = str(uuid.uuid4())
    payload = {"email_id": rows["twice@acme.test"].pk}
    deliver_email.apply_async(kwargs=payload, task_id=task_id)
    deliver_email.apply_async(kwargs=payload, task_id=task_id)  # a redelivery
    deliver_email.apply_async(kwargs=payload)  # a duplicate enqueue
    # One worker process, one task at a time, in order: the sentinel arrives after the copies.
    deliver_email.apply_async(kwargs={"email_id": rows["sentinel@acme.test"].pk})
    assert wait_for(lambda: any("sentinel@acme.test" in m for m in inbox.messages))
    assert sum("twice@acme.test" in m for m in inbox.messages) == 1
    assert OutboundEmail.objects.unscoped().get(pk=payload["email_id"]).attempts == 1
