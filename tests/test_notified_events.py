"""Every event that mails a person with an account also reaches their bell, as they chose
(tenancy.notifications.notify): deal decisions and disputes, seat confirmations, recertification
reminders, rules-of-engagement requests, welcome kits and cadence mail. Mail to an address that
is no account (an invitee) stays mail only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from dealreg.services.decisions import deal_approve
from dealreg.tests.test_conflicts import ready, register
from enablement.certs import services as cert_services
from enablement.certs.tests.factories import make_ladder, pass_quiz
from enablement.live import services as live_services
from enablement.live.tests.factories import LiveSessionFactory
from onboarding.models import EmailKind, EmailStatus, OnboardingRun
from onboarding.models.cadence import CadenceAudience
from onboarding.services.cadence import cadence_step_create
from onboarding.tasks.cadence import send_due_cadence
from onboarding.tests.factories import AgreementSignatureFactory
from onboarding.tests.test_workflow import make_partner, sign
from partners.models import ContactRole
from partners.tasks.roe import request_roe_acceptances
from partners.tests.test_roe import draft, publish
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import Notification, NotificationChannel, NotificationPreference, OutboundEmail
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def bell(world, user) -> list[Notification]:
    with tenant_context(world.tenant):
        return list(Notification.objects.filter(recipient=user).order_by("created_at", "id"))


def prefer(world, user, channel, kind=""):
    with tenant_context(world.tenant):
        NotificationPreference.objects.create(
            tenant=world.tenant, user=user, kind=kind, channel=channel
        )


def test_a_deal_decision_reaches_the_submitters_bell_with_its_page(
    acme, django_capture_on_commit_callbacks
):
    ready(acme)
    deal = register(acme, acme.partner_sales)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        deal_approve(actor=actor_for_user(acme.manager, acme.tenant), registration=deal)
    [note] = bell(acme, acme.partner_sales)
    assert note.kind == "dealreg.decision" and "approved" in note.title
    assert note.url.startswith("/portal/") and str(deal.uuid) in note.url  # a path, any port
    assert [m.to for m in mail.outbox] == [[acme.partner_sales.email]]


def test_in_app_only_keeps_the_deal_decision_out_of_the_mailbox(
    acme, django_capture_on_commit_callbacks
):
    prefer(acme, acme.partner_sales, NotificationChannel.IN_APP)
    ready(acme)
    deal = register(acme, acme.partner_sales)
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        deal_approve(actor=actor_for_user(acme.manager, acme.tenant), registration=deal)
    assert len(bell(acme, acme.partner_sales)) == 1
    assert mail.outbox == []
    with tenant_context(acme.tenant):
        [row] = OutboundEmail.objects.filter(kind="dealreg.decision")
    assert row.status == EmailStatus.SKIPPED and "in the app" in row.reason


def test_a_seat_confirmation_reaches_the_bell(acme, django_capture_on_commit_callbacks):
    starts = datetime(2030, 3, 5, 15, 30, tzinfo=UTC)
    session = LiveSessionFactory(
        tenant=acme.tenant, title="Pipeline workshop", starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True), tenant_context(acme.tenant):
        live_services.registration_register(
            actor=actor_for_user(acme.partner_sales, acme.tenant), session=session
        )
    [note] = bell(acme, acme.partner_sales)
    assert "Pipeline workshop" in note.title and note.url == "/portal/sessions/"
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments  # the invite still goes


def test_a_recertification_reminder_reaches_the_bell(acme, django_capture_on_commit_callbacks):
    now = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    ladder = make_ladder(acme)
    with time_machine.travel(now, tick=False):
        pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    with tenant_context(acme.tenant):
        from enablement.certs.models import CertificationAward

        expiry = CertificationAward.objects.get().expires_at
    with (
        time_machine.travel(expiry - timedelta(days=29), tick=False),
        tenant_context(acme.tenant),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert cert_services.send_recert_reminders() == 1
    [note] = bell(acme, acme.partner_sales)
    assert note.kind == "certs.recert_reminder" and "expires in 29 days" in note.title
    assert note.url == "/portal/certifications/"


def test_a_rules_of_engagement_request_reaches_the_bell_once(
    acme, django_capture_on_commit_callbacks
):
    rules = publish(acme, draft(acme))
    kwargs = {"tenant_id": acme.tenant.pk, "rules_id": rules.pk}
    with django_capture_on_commit_callbacks(execute=True):
        assert request_roe_acceptances.apply(kwargs=kwargs).get() == 2
        assert request_roe_acceptances.apply(kwargs=kwargs).get() == 0  # a redelivery
    [note] = bell(acme, acme.partner_admin)
    assert "rules of engagement" in note.title and note.url == "/portal/rules/"
    assert len(bell(acme, acme.other_partner_admin)) == 1


def test_the_welcome_kit_reaches_members_bells_and_invitees_mailboxes(
    acme, django_capture_on_commit_callbacks
):
    partner = make_partner(
        acme,
        contacts=[
            ("member@newco.test", ContactRole.PRIMARY),
            ("new@newco.test", ContactRole.SALES),
        ],
    )
    member = UserFactory(email="member@newco.test")
    MembershipFactory(
        tenant=acme.tenant, user=member, role=Role.PARTNER_ADMIN, partner_organization=partner
    )
    sign(acme, partner, django_capture_on_commit_callbacks, signer_email="")
    [note] = bell(acme, member)
    assert note.kind == EmailKind.WELCOME_KIT and note.url == "/portal/"
    assert sorted(m.to[0] for m in mail.outbox) == ["member@newco.test", "new@newco.test"]
    with tenant_context(acme.tenant):
        assert Notification.objects.count() == 1  # the invitee has no account: mail only


def test_cadence_mail_read_in_the_app_is_recorded_and_not_sent_again(
    acme, django_capture_on_commit_callbacks
):
    signed_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with tenant_context(acme.tenant):
        cadence_step_create(
            actor=actor_for_user(acme.admin, acme.tenant), day_offset=0, subject="Hi",
            body="Tips", audience=CadenceAudience.ALL_USERS,
        )  # fmt: skip
    prefer(acme, acme.partner_admin, NotificationChannel.IN_APP, kind=EmailKind.CADENCE)
    signature = AgreementSignatureFactory(
        partner=acme.partner, tenant=acme.tenant, signed_at=signed_at
    )
    with tenant_context(acme.tenant):
        OnboardingRun.objects.create(tenant=acme.tenant, partner=acme.partner, signature=signature)
    for hour in (2, 3):  # the sweep runs again: nothing twice
        with (
            time_machine.travel(signed_at + timedelta(hours=hour), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            send_due_cadence.apply(kwargs={"tenant_id": acme.tenant.pk}).get()
    assert [n.title for n in bell(acme, acme.partner_admin)] == ["Hi"]
    with tenant_context(acme.tenant):
        mine = OutboundEmail.objects.get(kind=EmailKind.CADENCE, recipient=acme.partner_admin)
    assert mine.status == EmailStatus.SKIPPED
    assert acme.partner_admin.email not in [m.to[0] for m in mail.outbox]
    assert acme.partner_sales.email in [m.to[0] for m in mail.outbox]
    assert len(bell(acme, acme.partner_sales)) == 1  # both channels by default
