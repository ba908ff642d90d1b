"""The mail outbox: a mail is written with the change that causes it and delivered after commit;
failures are retried with a backoff, given up after N attempts, and a mail that may have gone out
(left SENDING) is never re-sent without a person deciding."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.mail.backends.locmem import EmailBackend
from django.db import transaction
from django.utils import timezone

from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.emails import (
    INVITATION,
    Attachment,
    email_deliver,
    email_enqueue,
    email_mark_sent,
    email_send_again,
)
from tenancy.models import OutboundEmail
from tenancy.outbox import MAX_ATTEMPTS as MAX_EMAIL_ATTEMPTS
from tenancy.outbox import DeliveryStatus as EmailStatus
from tenancy.tasks import sweep_mail_outbox

pytestmark = pytest.mark.django_db


class FlakyBackend(EmailBackend):
    """locmem, but the first `failures` sends raise like a refusing SMTP server."""

    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise smtplib.SMTPRecipientsRefused({"x@newco.test": (550, b"mailbox unavailable")})
        return super().send_messages(messages)


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyBackend"
    FlakyBackend.failures = 0
    return FlakyBackend


def queue(world, key="k1", **extra):
    with tenant_context(world.tenant):
        row, created = email_enqueue(
            kind=INVITATION,
            partner_uuid=world.partner.uuid,
            idempotency_key=key,
            to="x@newco.test",
            subject="Hello",
            body_text="Plain",
            body_html="<p>Html</p>",
            **extra,
        )
    return row, created


def reload(row):
    return OutboundEmail.objects.unscoped().get(pk=row.pk)


def sweep(world, capture):
    """The beat sweep (all tenants at once)."""
    with capture(execute=True):
        return sweep_mail_outbox.apply().get()


def test_queued_mail_is_sent_once_after_commit(acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        row, created = queue(acme)
        again, created_again = queue(acme)  # same key: the first row
    assert created and not created_again and again.pk == row.pk
    row = reload(row)
    assert row.status == EmailStatus.SENT and row.attempts == 1 and row.sent_at
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["x@newco.test"] and message.alternatives[0] == (
        "<p>Html</p>",
        "text/html",
    )
    assert "Acme Partner Program" in message.from_email
    assert email_deliver(email_id=row.pk) is None  # already sent: nothing
    assert len(mail.outbox) == 1


def test_smtp_failure_is_retried_by_the_sweep_and_sent_once(
    acme, flaky, django_capture_on_commit_callbacks
):
    flaky.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        row, _ = queue(acme)
    row = reload(row)
    assert row.status == EmailStatus.FAILED and row.attempts == 1
    assert "SMTPRecipientsRefused" in row.last_error
    assert row.next_attempt_at > timezone.now()
    assert mail.outbox == []
    assert sweep(acme, django_capture_on_commit_callbacks) == 0  # not due yet
    with time_machine.travel(timezone.now() + timedelta(minutes=2), tick=False):
        assert sweep(acme, django_capture_on_commit_callbacks) == 1
        assert sweep(acme, django_capture_on_commit_callbacks) == 0  # sent: nothing left
    row = reload(row)
    assert row.status == EmailStatus.SENT and row.attempts == 2 and row.last_error == ""
    assert len(mail.outbox) == 1


def test_mail_gives_up_after_the_last_attempt(acme, flaky, django_capture_on_commit_callbacks):
    flaky.failures = 100
    with django_capture_on_commit_callbacks(execute=True):
        row, _ = queue(acme)
    now = timezone.now()
    for _attempt in range(MAX_EMAIL_ATTEMPTS + 2):
        now += timedelta(hours=13)
        with time_machine.travel(now, tick=False):
            sweep(acme, django_capture_on_commit_callbacks)
    row = reload(row)
    assert row.status == EmailStatus.GAVE_UP and row.attempts == MAX_EMAIL_ATTEMPTS
    assert row.next_attempt_at is None and mail.outbox == []


def test_a_mail_left_sending_is_never_resent_automatically(
    acme, django_capture_on_commit_callbacks
):
    row, _ = queue(acme)  # not committed: no send
    OutboundEmail.objects.unscoped().filter(pk=row.pk).update(
        status=EmailStatus.SENDING, attempts=1, created_at=timezone.now() - timedelta(days=1)
    )
    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        assert sweep(acme, django_capture_on_commit_callbacks) == 0
    assert email_deliver(email_id=row.pk) is None
    assert mail.outbox == [] and reload(row).status == EmailStatus.SENDING


def test_a_person_sends_an_unconfirmed_mail_again_or_marks_it_sent(
    acme, django_capture_on_commit_callbacks
):
    first, _ = queue(acme, key="a")
    second, _ = queue(acme, key="b")
    OutboundEmail.objects.unscoped().filter(pk__in=[first.pk, second.pk]).update(
        status=EmailStatus.SENDING, attempts=1
    )
    with tenant_context(acme.tenant):
        manager = actor_for_user(acme.manager, acme.tenant)
        with django_capture_on_commit_callbacks(execute=True):
            email_send_again(actor=manager, email=reload(first))
        email_mark_sent(actor=manager, email=reload(second))
        marketing = actor_for_user(acme.marketing, acme.tenant)
        with pytest.raises(PermissionDenied):
            email_send_again(actor=marketing, email=reload(second))
    assert reload(first).status == EmailStatus.SENT and reload(first).attempts == 2
    assert reload(second).status == EmailStatus.SENT and reload(second).attempts == 1
    assert [m.to for m in mail.outbox] == [["x@newco.test"]]  # only the one sent again


def test_a_queued_mail_that_was_never_enqueued_is_sent_by_the_sweep(
    acme, django_capture_on_commit_callbacks
):
    row, _ = queue(acme)  # the on-commit enqueue never happened (broker down)
    assert sweep(acme, django_capture_on_commit_callbacks) == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert sweep(acme, django_capture_on_commit_callbacks) == 1
    assert reload(row).status == EmailStatus.SENT and len(mail.outbox) == 1


def test_a_rolled_back_change_sends_nothing(acme, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue(acme)
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.unscoped().exists() and mail.outbox == []


def test_from_is_the_program_and_reply_to_the_person_and_attachments_survive(
    acme, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue(
            acme,
            reply_to="Mia Manager <manager@acme.test>",
            attachments=[Attachment("invite.ics", "BEGIN:VCALENDAR", "text/calendar")],
        )
    [message] = mail.outbox
    assert message.from_email.startswith("Acme Partner Program <")
    assert "manager@acme.test" not in message.from_email
    assert message.reply_to == ["Mia Manager <manager@acme.test>"]
    assert message.attachments[0][0] == "invite.ics"
    assert message.attachments[0][1] == "BEGIN:VCALENDAR"


def test_an_undeclared_kind_is_refused(acme):
    with tenant_context(acme.tenant), pytest.raises(ImproperlyConfigured):
        email_enqueue(kind="nobody.declared", to="x@newco.test", subject="S", body_text="B")


def test_the_sweep_does_not_pile_up_copies_while_the_worker_is_behind(acme, monkeypatch):
    from tenancy import tasks

    enqueued = []
    monkeypatch.setattr(tasks.deliver_email, "delay", lambda **kw: enqueued.append(kw))
    row, _ = queue(acme)  # never enqueued
    later = timezone.now() + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        assert sweep_mail_outbox.apply().get() == 1  # enqueued; the worker is behind
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        assert sweep_mail_outbox.apply().get() == 0  # a minute later: not again
    assert enqueued == [{"email_id": row.pk}] and reload(row).status == EmailStatus.QUEUED


def test_account_mail_goes_through_the_outbox_and_hides_its_link(
    acme, django_capture_on_commit_callbacks
):
    from django.test import Client

    client = Client(HTTP_HOST=acme.host())
    with django_capture_on_commit_callbacks(execute=False) as pending:
        response = client.post("/accounts/password/reset/", {"email": acme.manager.email})
    assert response.status_code == 302
    assert mail.outbox == []  # nothing leaves inside the request
    with tenant_context(acme.tenant):
        row = OutboundEmail.objects.get(recipient_email=acme.manager.email)
    assert row.kind == "tenancy.account" and row.sensitive and row.status == EmailStatus.QUEUED
    for deliver in pending:
        deliver()
    [message] = mail.outbox
    assert "/accounts/password/reset/key/" in message.body
    assert message.from_email.startswith("Acme Partner Program <")
    assert reload(row).status == EmailStatus.SENT


def test_mail_outside_a_tenant_is_refused_unless_it_is_platform_mail(
    acme, django_capture_on_commit_callbacks
):
    from tenancy.context import TenantNotSetError
    from tenancy.emails import ACCOUNT

    with pytest.raises(TenantNotSetError):
        email_enqueue(kind=ACCOUNT, to="root@prm.test", subject="S", body_text="B")
    with django_capture_on_commit_callbacks(execute=True):
        row, _ = email_enqueue(
            kind=ACCOUNT, to="root@prm.test", subject="S", body_text="B", platform=True
        )
    row = reload(row)
    assert row.tenant_id is None and row.status == EmailStatus.SENT
    assert [m.to for m in mail.outbox] == [["root@prm.test"]]
    with tenant_context(acme.tenant):
        assert not OutboundEmail.objects.filter(pk=row.pk).exists()  # in no tenant's log
