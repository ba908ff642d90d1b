"""Background work in a real Celery worker process, against the configured broker (Redis in CI).

A request enqueues a task on commit; the worker restores the tenant, sends the email to a real
SMTP server (aiosmtpd), and a message delivered twice runs once.
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
from django.urls import reverse

from prm.celery import app as celery_app
from tenancy.context import tenant_context
from tenancy.models import Invitation, ProcessedTask
from tenancy.tasks import send_invitation_email

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


@pytest.fixture
def worker(transactional_db, smtp):
    """A real Celery worker process on its own queue, sharing the test database and broker."""
    controller, _ = smtp
    queue = f"test-{uuid.uuid4().hex[:10]}"
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "task_default_queue")}
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url(),
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "PRM_DATA_DIR": str(settings.DATA_DIR),
        "PRM_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # this test's own (root conftest)
    }
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER_MAIN, queue],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    celery_app.conf.update(saved)
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-6000:])  # shown by pytest when a test fails


def wait_for(predicate, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def test_task_enqueued_in_a_request_runs_in_a_real_worker_with_its_tenant(acme, worker, smtp):
    _, inbox = smtp
    response = acme.client(acme.admin).post(
        reverse("console_team"), {"email": "worker@acme.test", "role": "marketing"}
    )
    assert response.status_code == 302
    assert wait_for(lambda: inbox.messages), "the worker never sent the invitation email"
    message = inbox.messages[0]
    # Rendered in the worker: only a restored tenant gives its name and host.
    assert "Acme" in message and "acme.localhost" in message and "worker@acme.test" in message
    assert (
        ProcessedTask.objects.filter(
            task_name="tenancy.tasks.send_invitation_email", tenant=acme.tenant
        ).count()
        == 1
    )


def test_a_message_delivered_twice_runs_once(acme, worker, smtp):
    _, inbox = smtp
    with tenant_context(acme.tenant):
        from tenancy import services
        from tenancy.access import actor_for_user

        actor = actor_for_user(acme.admin, acme.tenant)
        celery_app.conf.task_always_eager = True  # create without sending; we send by hand below
        first = services.invitation_create(actor=actor, email="twice@acme.test", role="marketing")
        sentinel = services.invitation_create(
            actor=actor, email="sentinel@acme.test", role="marketing"
        )
        celery_app.conf.task_always_eager = False
        first = Invitation.objects.get(pk=first.pk)
    inbox.messages.clear()
    ProcessedTask.objects.all().delete()
    task_id = str(uuid.uuid4())
    payload = {"tenant_id": acme.tenant.pk, "invitation_id": first.pk}
    send_invitation_email.apply_async(kwargs=payload, task_id=task_id)
    send_invitation_email.apply_async(kwargs=payload, task_id=task_id)  # a redelivery
    # One worker process, one task at a time, in order: the sentinel arrives after both copies.
    send_invitation_email.apply_async(
        kwargs={"tenant_id": acme.tenant.pk, "invitation_id": sentinel.pk}
    )
    assert wait_for(lambda: any("sentinel@acme.test" in m for m in inbox.messages))
    assert sum("twice@acme.test" in m for m in inbox.messages) == 1
    assert ProcessedTask.objects.filter(task_id=task_id).count() == 1
