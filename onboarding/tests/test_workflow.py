"""The onboarding workflow a signature starts: lifecycle, invites, welcome kit, enrolment; its
idempotency, failures and retries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from enablement.lms.models import Enrollment
from enablement.lms.tests.factories import make_course
from onboarding.models import (
    EmailKind,
    EmailStatus,
    OnboardingRun,
    OnboardingSettings,
    RunStatus,
    SignatureMethod,
    StepKey,
    StepStatus,
)
from onboarding.services import workflow as workflow_services
from onboarding.services.workflow import (
    MAX_RUN_ATTEMPTS,
    onboarding_run_execute,
    onboarding_start,
    portal_role_for_contact,
)
from onboarding.tasks.workflow import retry_due, run_onboarding
from onboarding.tests.factories import AgreementSignatureFactory, AgreementTemplateFactory
from partners.models import ContactRole, LifecycleEvent, LifecycleState, PartnerType
from partners.tests.factories import PartnerContactFactory, PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.models import Invitation, OutboundEmail
from tenancy.roles import Role
from tenancy.services import invitation_accept, invitation_from_token
from tenancy.tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_partner(
    world, *, state=LifecycleState.APPROVED, partner_type=PartnerType.RESELLER, contacts=()
):
    partner = PartnerOrganizationFactory(
        tenant=world.tenant,
        name=f"NewCo {partner_type}",
        state=state,
        partner_type=partner_type,
        channel_manager=world.manager,
    )
    for email, role in contacts:
        PartnerContactFactory(partner=partner, email=email, role=role)
    return partner


def make_101(world):
    with tenant_context(world.tenant):
        course = make_course(world.tenant, title="Partner 101", quiz=False)
        course.is_foundation = True
        course.save(update_fields=["is_foundation"])
    return course


def sign(world, partner, capture, *, signer_email="signer@newco.test", run=True, template=None):
    """An offline signature recorded for `partner`, then onboarding_start as the signing
    service calls it; with run=True the on-commit task (eager) runs the workflow."""
    with tenant_context(world.tenant):
        signature = AgreementSignatureFactory(
            partner=partner,
            tenant=world.tenant,
            template=template or AgreementTemplateFactory(tenant=world.tenant),
            method=SignatureMethod.OFFLINE,
            signer_email=signer_email,
            recorded_by=world.admin,
        )
        if run:
            with capture(execute=True):
                started = onboarding_start(signature=signature)
        else:
            started = onboarding_start(signature=signature)
    return OnboardingRun.objects.unscoped().get(pk=started.pk)


def steps_of(run):
    return {s.key: s for s in run.steps.model.objects.unscoped().filter(run=run)}


def test_a_signature_runs_every_step_once(acme, django_capture_on_commit_callbacks):
    course = make_101(acme)
    partner = make_partner(
        acme,
        contacts=[
            ("ceo@newco.test", ContactRole.EXECUTIVE),
            ("sales@newco.test", ContactRole.SALES),
            ("tech@newco.test", ContactRole.TECHNICAL),
            ("mkt@newco.test", ContactRole.MARKETING),
            ("billing@newco.test", ContactRole.BILLING),
        ],
    )
    run = sign(acme, partner, django_capture_on_commit_callbacks)

    assert run.status == RunStatus.DONE and run.attempts == 1 and run.finished_at
    steps = steps_of(run)
    assert {k: s.status for k, s in steps.items()} == {
        StepKey.LIFECYCLE: StepStatus.DONE,
        StepKey.INVITES: StepStatus.DONE,
        StepKey.WELCOME_KIT: StepStatus.DONE,
        StepKey.ENROLMENT: StepStatus.DONE,
    }
    # Lifecycle: approved → contracted by the step, → active once the run completed.
    partner.refresh_from_db()
    assert partner.state == LifecycleState.ACTIVE
    with tenant_context(acme.tenant):
        moves = list(
            LifecycleEvent.objects.filter(partner=partner)
            .order_by("created_at", "id")
            .values_list("from_state", "to_state")
        )
        invitations = {
            i.email: i.role for i in Invitation.objects.filter(partner_organization=partner)
        }
    assert moves == [("approved", "contracted"), ("contracted", "active")]
    assert steps[StepKey.LIFECYCLE].detail["activated"] is True
    # Invites: the signer as admin, contacts by role, billing left out.
    assert invitations == {
        "signer@newco.test": Role.PARTNER_ADMIN,
        "ceo@newco.test": Role.PARTNER_ADMIN,
        "sales@newco.test": Role.PARTNER_SALES,
        "tech@newco.test": Role.PARTNER_PRESALES,
        "mkt@newco.test": Role.PARTNER_MARKETING,
    }
    assert {i["email"] for i in steps[StepKey.INVITES].detail["invited"]} == set(invitations)
    # Welcome kit: one per invitee, each with their own accept link, from the channel manager.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(invitations)
    # A subject of its own, not the application approval's "... is approved".
    assert {m.subject for m in mail.outbox} == {
        f"Your {acme.tenant.name} welcome kit: portal access and first steps"
    }
    with tenant_context(acme.tenant):
        first_module = course.modules.order_by("position").first()
        for message in mail.outbox:
            invitation = Invitation.objects.get(email=message.to[0])
            html = message.alternatives[0][0]
            # The recipient's own, working accept link, in both parts.
            token = re.search(r"http://acme\.localhost:8000/invitations/([^/\s]+)/", message.body)
            assert invitation_from_token(token.group(1)) == invitation
            assert token.group(0) in html
            # From is the program (SPF/DMARC); the channel manager is whom the partner answers.
            assert message.from_email.startswith("Acme Partner Program <")
            assert acme.manager.email in message.reply_to[0]
            assert acme.manager.email in message.body and acme.manager.full_name in html
            assert str(first_module.uuid) in message.body
            assert "/rules-of-engagement/" in message.body
        rows = OutboundEmail.objects.filter(partner_uuid=partner.uuid, kind=EmailKind.WELCOME_KIT)
        assert {r.status for r in rows} == {EmailStatus.SENT}
        assert rows.count() == len(invitations)


def test_existing_members_get_the_login_link_and_are_enrolled_not_reinvited(
    acme, django_capture_on_commit_callbacks
):
    course = make_101(acme)
    partner = make_partner(acme, contacts=[("member@newco.test", ContactRole.PRIMARY)])
    member = UserFactory(email="member@newco.test")
    MembershipFactory(
        tenant=acme.tenant, user=member, role=Role.PARTNER_ADMIN, partner_organization=partner
    )
    run = sign(acme, partner, django_capture_on_commit_callbacks, signer_email="")
    steps = steps_of(run)
    assert steps[StepKey.INVITES].detail["invited"] == []
    assert steps[StepKey.INVITES].detail["skipped"] == [
        {"email": "member@newco.test", "reason": "already a member"}
    ]
    with tenant_context(acme.tenant):
        assert not Invitation.objects.filter(email="member@newco.test").exists()
        assert Enrollment.objects.filter(user=member, course=course).exists()
    assert [m.to for m in mail.outbox] == [["member@newco.test"]]
    assert "/portal/" in mail.outbox[0].body and "/invitations/" not in mail.outbox[0].body


def test_a_second_signature_or_delivery_starts_nothing_new(
    acme, django_capture_on_commit_callbacks
):
    partner = make_partner(acme, contacts=[("ceo@newco.test", ContactRole.PRIMARY)])
    run = sign(acme, partner, django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    # A later version signed: same run, no new task.
    again = sign(
        acme,
        partner,
        django_capture_on_commit_callbacks,
        template=AgreementTemplateFactory(tenant=acme.tenant, version=99),
    )
    assert again.pk == run.pk
    # The task delivered again (new task id): the run is done, nothing happens.
    with django_capture_on_commit_callbacks(execute=True):
        run_onboarding.apply(kwargs={"tenant_id": acme.tenant.pk, "run_id": run.pk})
    with tenant_context(acme.tenant):
        assert OnboardingRun.objects.filter(partner=partner).count() == 1
        assert Invitation.objects.filter(partner_organization=partner).count() == 2
        assert OutboundEmail.objects.filter(partner_uuid=partner.uuid).count() == 2
    assert len(mail.outbox) == sent == 2


def test_re_running_a_half_done_run_only_does_what_is_left(
    acme, django_capture_on_commit_callbacks
):
    partner = make_partner(acme, contacts=[("ceo@newco.test", ContactRole.PRIMARY)])
    run = sign(acme, partner, django_capture_on_commit_callbacks)
    # Pretend the welcome kit and enrolment never finished.
    with tenant_context(acme.tenant):
        run.steps.filter(key__in=[StepKey.WELCOME_KIT, StepKey.ENROLMENT]).update(
            status=StepStatus.PENDING
        )
        OnboardingRun.objects.filter(pk=run.pk).update(status=RunStatus.PENDING)
        with django_capture_on_commit_callbacks(execute=True):
            onboarding_run_execute(run_id=run.pk)
        assert Invitation.objects.filter(partner_organization=partner).count() == 2
        assert OutboundEmail.objects.filter(partner_uuid=partner.uuid).count() == 2
        assert OnboardingRun.objects.get(pk=run.pk).status == RunStatus.DONE
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("partner_type", "contact_role", "expected"),
    [
        (PartnerType.RESELLER, ContactRole.PRIMARY, Role.PARTNER_ADMIN),
        (PartnerType.RESELLER, ContactRole.EXECUTIVE, Role.PARTNER_ADMIN),
        (PartnerType.RESELLER, ContactRole.SALES, Role.PARTNER_SALES),
        (PartnerType.RESELLER, ContactRole.TECHNICAL, Role.PARTNER_PRESALES),
        (PartnerType.MSP, ContactRole.MARKETING, Role.PARTNER_MARKETING),
        (PartnerType.RESELLER, ContactRole.BILLING, None),
        (PartnerType.REFERRAL, ContactRole.TECHNICAL, Role.PARTNER_SALES),
        (PartnerType.AFFILIATE, ContactRole.SALES, Role.PARTNER_MARKETING),
        (PartnerType.INFLUENCER, ContactRole.TECHNICAL, Role.PARTNER_MARKETING),
        (PartnerType.AFFILIATE, ContactRole.PRIMARY, Role.PARTNER_ADMIN),
    ],
)
def test_portal_role_by_partner_type_and_contact_role(partner_type, contact_role, expected):
    assert portal_role_for_contact(partner_type=partner_type, contact_role=contact_role) == expected


def test_referral_partner_technical_contact_is_invited_as_sales(
    acme, django_capture_on_commit_callbacks
):
    partner = make_partner(
        acme,
        partner_type=PartnerType.REFERRAL,
        contacts=[
            ("tech@ref.test", ContactRole.TECHNICAL),
            # One address, two contact roles: the more capable role wins.
            ("boss@ref.test", ContactRole.SALES),
            ("boss@ref.test", ContactRole.PRIMARY),
        ],
    )
    sign(acme, partner, django_capture_on_commit_callbacks, signer_email="")
    with tenant_context(acme.tenant):
        roles = dict(
            Invitation.objects.filter(partner_organization=partner).values_list("email", "role")
        )
    assert roles == {"tech@ref.test": Role.PARTNER_SALES, "boss@ref.test": Role.PARTNER_ADMIN}


def test_lifecycle_is_left_alone_for_active_or_unapproved_partners(
    acme, django_capture_on_commit_callbacks
):
    active = make_partner(acme, state=LifecycleState.ACTIVE)
    run = sign(acme, active, django_capture_on_commit_callbacks)
    assert steps_of(run)[StepKey.LIFECYCLE].status == StepStatus.SKIPPED
    assert run.status == RunStatus.DONE
    prospect = PartnerOrganizationFactory(tenant=acme.tenant, state=LifecycleState.PROSPECT)
    run = sign(acme, prospect, django_capture_on_commit_callbacks, signer_email="p@x.test")
    prospect.refresh_from_db()
    assert prospect.state == LifecycleState.PROSPECT
    assert steps_of(run)[StepKey.LIFECYCLE].detail["note"] == "left as prospect"


def test_without_activate_on_signature_the_partner_stays_contracted(
    acme, django_capture_on_commit_callbacks
):
    with tenant_context(acme.tenant):
        OnboardingSettings.objects.create(tenant=acme.tenant, activate_on_signature=False)
    partner = make_partner(acme)
    run = sign(acme, partner, django_capture_on_commit_callbacks)
    partner.refresh_from_db()
    assert run.status == RunStatus.DONE and partner.state == LifecycleState.CONTRACTED


def test_a_failing_step_is_recorded_and_retried_by_the_sweep(
    acme, django_capture_on_commit_callbacks, monkeypatch
):
    partner = make_partner(acme, contacts=[("ceo@newco.test", ContactRole.PRIMARY)])
    real_welcome_kit = workflow_services.STEPS[StepKey.WELCOME_KIT]

    def broken(run):
        raise RuntimeError("template exploded")

    monkeypatch.setitem(workflow_services.STEPS, StepKey.WELCOME_KIT, broken)
    run = sign(acme, partner, django_capture_on_commit_callbacks)  # the task did not raise

    steps = steps_of(run)
    assert run.status == RunStatus.FAILED and run.attempts == 1
    assert "template exploded" in run.last_error
    assert timedelta(seconds=50) < run.next_attempt_at - timezone.now() < timedelta(minutes=2)
    assert steps[StepKey.INVITES].status == StepStatus.DONE
    assert steps[StepKey.WELCOME_KIT].status == StepStatus.FAILED
    assert "RuntimeError: template exploded" in steps[StepKey.WELCOME_KIT].last_error
    assert steps[StepKey.ENROLMENT].status == StepStatus.PENDING
    assert mail.outbox == []

    monkeypatch.setitem(workflow_services.STEPS, StepKey.WELCOME_KIT, real_welcome_kit)
    # Not due yet: the sweep leaves it alone.
    with django_capture_on_commit_callbacks(execute=True):
        retry_due.apply(kwargs={"tenant_id": acme.tenant.pk})
    assert OnboardingRun.objects.unscoped().get(pk=run.pk).status == RunStatus.FAILED
    later = timezone.now() + timedelta(minutes=2)
    with (
        time_machine.travel(later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        retry_due.apply(kwargs={"tenant_id": acme.tenant.pk})
    run.refresh_from_db()
    steps = steps_of(run)
    assert run.status == RunStatus.DONE and run.attempts == 2 and run.last_error == ""
    assert steps[StepKey.WELCOME_KIT].status == StepStatus.DONE
    assert steps[StepKey.WELCOME_KIT].attempts == 2
    assert steps[StepKey.INVITES].attempts == 1  # not run again
    with tenant_context(acme.tenant):
        assert Invitation.objects.filter(partner_organization=partner).count() == 2
    assert len(mail.outbox) == 2


def test_a_run_stops_retrying_after_max_attempts_but_stays_visible(
    acme, django_capture_on_commit_callbacks, monkeypatch
):
    partner = make_partner(acme)

    def broken(run):
        raise RuntimeError("still broken")

    monkeypatch.setitem(workflow_services.STEPS, StepKey.INVITES, broken)
    run = sign(acme, partner, django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        OnboardingRun.objects.filter(pk=run.pk).update(attempts=MAX_RUN_ATTEMPTS - 1)
        onboarding_run_execute(run_id=run.pk)
        run = OnboardingRun.objects.get(pk=run.pk)
    assert run.status == RunStatus.FAILED and run.attempts == MAX_RUN_ATTEMPTS
    assert run.next_attempt_at is None


def test_a_run_lost_by_its_worker_is_picked_up_by_the_sweep(
    acme, django_capture_on_commit_callbacks
):
    partner = make_partner(acme)
    run = sign(acme, partner, django_capture_on_commit_callbacks, run=False)  # task never ran
    assert run.status == RunStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        assert retry_due.apply(kwargs={"tenant_id": acme.tenant.pk}).get() == 0
    later = timezone.now() + timedelta(minutes=11)
    with (
        time_machine.travel(later, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert retry_due.apply(kwargs={"tenant_id": acme.tenant.pk}).get() == 1
    run.refresh_from_db()
    assert run.status == RunStatus.DONE


def test_a_user_accepting_their_invitation_later_is_enrolled_in_the_101(
    acme, django_capture_on_commit_callbacks
):
    course = make_101(acme)
    partner = make_partner(acme)
    sign(acme, partner, django_capture_on_commit_callbacks, signer_email="late@newco.test")
    with tenant_context(acme.tenant):
        invitation = Invitation.objects.get(email="late@newco.test")
        with django_capture_on_commit_callbacks(execute=True):
            membership = invitation_accept(
                invitation=invitation, password="a-Long-pass-phrase-42", full_name="Late Joiner"
            )
        assert Enrollment.objects.filter(user=membership.user, course=course).exists()
        # Someone joining a partner that is not onboarding is not enrolled by this hook.
        other = UserFactory(email="other@x.test")
        from tenancy.services import membership_create

        membership_create(
            user=other, role=Role.PARTNER_SALES, partner_organization=acme.other_partner
        )
        assert not Enrollment.objects.filter(user=other, course=course).exists()
