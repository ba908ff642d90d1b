"""The onboarding workflow in a real Celery worker (Redis broker in CI) with a real SMTP server.

A signature commits; the worker runs the workflow, which sends one welcome kit per recipient
through aiosmtpd, each carrying the channel manager and a working invitation link. Delivering
the run task again (same task id: a broker redelivery; a new id: a duplicate enqueue) changes
nothing: still one mail each, one set of invitations, one enrolment.
"""

from __future__ import annotations

import email
import email.policy
import re
import time

from django.db import transaction

from enablement.lms.models import Enrollment
from enablement.lms.tests.factories import make_course
from onboarding.models import OnboardingRun, RunStatus, SignatureMethod
from onboarding.services.workflow import onboarding_start
from onboarding.tasks.workflow import run_onboarding
from onboarding.tests.factories import AgreementSignatureFactory, AgreementTemplateFactory
from partners.models import ContactRole, LifecycleState
from partners.tests.factories import PartnerContactFactory, PartnerOrganizationFactory
from tenancy.context import tenant_context
from tenancy.models import Invitation, OutboundEmail, ProcessedTask
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory, UserFactory
from tests.test_worker import smtp, wait_for, worker, worker_queue  # noqa: F401 - fixtures

ACCEPT_URL = re.compile(r"http://acme\.localhost(?::\d+)?(/invitations/[^\s<>\"]+/)")


def parse(raw: str):
    message = email.message_from_string(raw, policy=email.policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return message, text, html


def test_signing_runs_the_workflow_in_a_real_worker_once(acme, worker, smtp):  # noqa: F811
    _, inbox = smtp
    manager = acme.manager
    with tenant_context(acme.tenant):
        course = make_course(acme.tenant, title="Partner 101", quiz=False)
        course.is_foundation = True
        course.save(update_fields=["is_foundation"])
        partner = PartnerOrganizationFactory(
            tenant=acme.tenant, name="NewCo", state=LifecycleState.APPROVED, channel_manager=manager
        )
        PartnerContactFactory(partner=partner, email="ceo@newco.test", role=ContactRole.PRIMARY)
        PartnerContactFactory(partner=partner, email="sales@newco.test", role=ContactRole.SALES)
        member = UserFactory(email="member@newco.test")
        MembershipFactory(
            tenant=acme.tenant, user=member, role=Role.PARTNER_ADMIN, partner_organization=partner
        )
        # The signing transaction: the run task is sent when it commits.
        with transaction.atomic():
            signature = AgreementSignatureFactory(
                partner=partner,
                tenant=acme.tenant,
                template=AgreementTemplateFactory(tenant=acme.tenant),
                method=SignatureMethod.OFFLINE,
                signer_email="signer@newco.test",
            )
            run = onboarding_start(signature=signature)

    recipients = {"signer@newco.test", "ceo@newco.test", "sales@newco.test", "member@newco.test"}
    assert wait_for(lambda: len(inbox.messages) >= len(recipients), timeout=60), (
        f"the worker sent {len(inbox.messages)} welcome kits"
    )
    by_recipient = {}
    for raw in inbox.messages:
        message, text, html = parse(raw)
        by_recipient.setdefault(str(message["To"]), []).append((message, text, html))
    assert set(by_recipient) == recipients
    assert all(len(found) == 1 for found in by_recipient.values())
    for to, [(message, text, html)] in by_recipient.items():
        # From is the program; the channel manager is whom the partner answers.
        assert str(message["From"]).startswith("Acme Partner Program <")
        assert manager.email in str(message["Reply-To"]) and manager.email in text
        assert manager.full_name in html
        if to == "member@newco.test":
            assert "/invitations/" not in text  # a member gets the login link
            continue
        # The invitee's own link opens the accept form of this tenant.
        path = ACCEPT_URL.search(text).group(1)
        response = acme.client().get(path)
        assert response.status_code == 200, path
        with tenant_context(acme.tenant):
            assert Invitation.objects.get(email=to).partner_organization == partner

    with tenant_context(acme.tenant):
        run = OnboardingRun.objects.get(pk=run.pk)
        assert run.status == RunStatus.DONE
        invitation_ids = set(Invitation.objects.values_list("pk", flat=True))
    first_task = ProcessedTask.objects.get(task_name="onboarding.tasks.workflow.run_onboarding")

    # Deliver the run again: the same message (redelivery) and a new one (duplicate enqueue).
    payload = {"tenant_id": acme.tenant.pk, "run_id": run.pk}
    run_onboarding.apply_async(kwargs=payload, task_id=first_task.task_id)
    run_onboarding.apply_async(kwargs=payload)
    with tenant_context(acme.tenant):
        from tenancy.access import SYSTEM
        from tenancy.services import invitation_create

        with transaction.atomic():
            sentinel = invitation_create(
                actor=SYSTEM, email="sentinel@acme.test", role=Role.MARKETING
            )
    # One worker, one task at a time, in order: the sentinel comes after both copies.
    assert wait_for(lambda: any("sentinel@acme.test" in m for m in inbox.messages), timeout=60)
    time.sleep(1)  # anything the copies might have enqueued would have run by now
    assert len(inbox.messages) == len(recipients) + 1
    with tenant_context(acme.tenant):
        assert OutboundEmail.objects.filter(partner_uuid=partner.uuid).count() == len(recipients)
        assert (
            set(Invitation.objects.exclude(pk=sentinel.pk).values_list("pk", flat=True))
            == invitation_ids
        )
        assert Enrollment.objects.filter(course=course).count() == 1  # the member
        assert OnboardingRun.objects.get(pk=run.pk).attempts == 1
    assert (
        ProcessedTask.objects.filter(task_name="onboarding.tasks.workflow.run_onboarding").count()
        == 2
    )
