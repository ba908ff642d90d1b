"""Onboarding mail delivery: failures are retried with a backoff, given up after N attempts, and a
mail that may have gone out (left SENDING) is never re-sent without a person deciding."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.mail.backends.locmem import EmailBackend
from django.utils import timezone

from onboarding.models import EmailKind, EmailStatus, OutboundEmail
from onboarding.services.mail import (
    MAX_EMAIL_ATTEMPTS,
    email_deliver,
    email_mark_sent,
    email_queue,
    email_send_again,
)
from onboarding.tasks.workflow import retry_due
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

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


def queue(world, key="k1", capture=None):
    with tenant_context(world.tenant):
        row, created = email_queue(
            partner=world.partner,
            kind=EmailKind.WELCOME_KIT,
            idempotency_key=key,
            to="x@newco.test",
            subject="Hello",
            body_text="Plain",
            body_html="<p>Html</p>",
        )
    return row, created


def reload(row):
    return OutboundEmail.objects.unscoped().get(pk=row.pk)


def sweep(world, capture):
    with capture(execute=True):
        return retry_due.apply(kwargs={"tenant_id": world.tenant.pk}).get()


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
    with tenant_context(acme.tenant):
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
    with tenant_context(acme.tenant):
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
