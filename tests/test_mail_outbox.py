"""Mail outbox faults with real parts: a real SMTP server (aiosmtpd) and a real Celery worker.

- SMTP refuses connections while a program admin decides a dispute: the request succeeds (the
  decision is committed, the mail is in the outbox, failed), and once SMTP is back the sweep
  delivers each participant's mail exactly once.
- The worker is killed while handing a mail to SMTP (the server has the message but never
  answered): a new worker, a redelivery of the task and the sweep do not send it again; the mail
  log shows it as unconfirmed for a person to decide.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from dealreg.models import DealStatus, Dispute, DisputeStatus
from dealreg.services.disputes import dispute_raise
from dealreg.tests.pipeline_data import actor, make_account, make_deal
from tenancy.context import tenant_context
from tenancy.emails import INVITATION, email_enqueue
from tenancy.models import OutboundEmail
from tenancy.outbox import DeliveryStatus
from tenancy.tasks import deliver_email, sweep_mail_outbox
from tests.test_worker import (  # noqa: F401 - fixtures
    Inbox,
    free_port,
    spawn_worker,
    stop_worker,
    wait_for,
    worker_queue,
)


def recipients_of(inbox: Inbox, word: str) -> list[str]:
    return sorted(
        line.split(":", 1)[1].strip()
        for message in inbox.messages
        if word in message
        for line in message.splitlines()
        if line.startswith("To:")
    )


def test_smtp_refusing_during_a_dispute_decision_fails_nothing_and_mails_once_when_back(
    acme, transactional_db, settings
):
    port = free_port()  # nothing listens here yet: connections are refused
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    account = make_account(acme, "Initech", "initech.com", owner=None)
    make_deal(acme, account=account, status=DealStatus.APPROVED)
    with tenant_context(acme.tenant):
        dispute = dispute_raise(actor=actor(acme, acme.sales), account=account, reason="Ours.")

    url = reverse("console_dispute_detail", kwargs={"dispute_uuid": dispute.uuid})
    response = acme.client(acme.admin).post(
        url, {"action": "decide", "outcome": "lock_upheld", "note": "The lock stands."}
    )

    assert response.status_code == 302  # not a 500 after the data committed
    with tenant_context(acme.tenant):
        assert Dispute.objects.get(pk=dispute.pk).status == DisputeStatus.DECIDED
        decided = list(OutboundEmail.objects.filter(subject__contains="decided"))
    expected = sorted({acme.sales.email, acme.manager.email, acme.partner_sales.email})
    assert sorted(row.recipient_email for row in decided) == expected
    assert {row.status for row in decided} == {DeliveryStatus.FAILED}
    assert all("ConnectionRefusedError" in row.last_error for row in decided)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
            sweep_mail_outbox.apply()
            sweep_mail_outbox.apply()  # a second sweep finds nothing left
        deliver_email.apply(kwargs={"email_id": decided[0].pk})  # nor does a stray delivery
    finally:
        controller.stop()
    assert recipients_of(inbox, "is decided") == expected  # each participant once
    for row in decided:
        row.refresh_from_db()
        assert row.status == DeliveryStatus.SENT and row.attempts == 2


class StallingInbox(Inbox):
    """Takes the first message to `stall_for` and then never answers (until stopped)."""

    def __init__(self, stall_for: str):
        super().__init__()
        self.stall_for = stall_for
        self.stalled = False

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        if self.stall_for in envelope.rcpt_tos and not self.stalled:
            self.stalled = True
            await asyncio.sleep(300)
        return "250 OK"


@pytest.fixture
def stalling_smtp():
    inbox = StallingInbox(stall_for="stall@newco.test")
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def queue_mail(world, to: str):
    with tenant_context(world.tenant), transaction.atomic():
        row, _ = email_enqueue(
            kind=INVITATION,
            to=to,
            subject=f"For {to}",
            body_text="Hello",
            partner_uuid=world.partner.uuid,
        )
    return row


def test_a_worker_killed_while_handing_a_mail_to_smtp_never_sends_it_twice(
    acme,
    worker_queue,  # noqa: F811
    stalling_smtp,
):
    controller, inbox = stalling_smtp
    first = spawn_worker(worker_queue, controller.port)
    try:
        row = queue_mail(acme, "stall@newco.test")  # delivery enqueued on commit
        assert wait_for(lambda: inbox.messages, timeout=60), "the worker never reached SMTP"
        # The server has the message; the worker waits for its answer: the row is SENDING.
        assert OutboundEmail.objects.unscoped().get(pk=row.pk).status == DeliveryStatus.SENDING
    finally:
        first.kill()  # the worker dies mid-delivery
        stop_worker(first)

    second = spawn_worker(worker_queue, controller.port)
    try:
        deliver_email.apply_async(kwargs={"email_id": row.pk})  # the broker redelivers
        sweep_mail_outbox.apply_async()  # and the sweep runs
        queue_mail(acme, "sentinel@newco.test")  # one worker, in order: this comes last
        assert wait_for(lambda: any("sentinel@newco.test" in m for m in inbox.messages))
        time.sleep(1)
    finally:
        stop_worker(second)

    assert sum("stall@newco.test" in m for m in inbox.messages) == 1  # sent once
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENDING and row.attempts == 1
    # A person sees it as unconfirmed in the mail log and decides.
    page = acme.client(acme.admin).get(reverse("console_mail_log") + "?status=problem")
    content = page.content.decode()
    assert "stall@newco.test" in content and "Unconfirmed" in content
    assert "sentinel@newco.test" not in content  # delivered: not a problem
