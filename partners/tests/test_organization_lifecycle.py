"""The partner lifecycle: one transitions table, clear refusals, a history of every move."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from partners.models import LifecycleEvent, LifecycleState, PartnerOrganization
from partners.services import organization as services
from partners.tests.factories import ApplicationFactory, PartnerOrganizationFactory
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent

pytestmark = pytest.mark.django_db
S = LifecycleState


def move(world, user, partner, to_state, reason=""):
    with tenant_context(world.tenant):
        return services.partner_transition(
            actor=actor_for_user(user, world.tenant),
            partner=partner,
            to_state=to_state,
            reason=reason,
        )


def test_the_full_path_from_prospect_to_retired_is_recorded_in_order(acme):
    partner = acme.partner
    path = [
        (S.APPLIED, ""),
        (S.APPROVED, "Good fit"),
        (S.CONTRACTED, "Signed MSA"),
        (S.ACTIVE, ""),
        (S.SUSPENDED, "Unpaid invoices"),
        (S.ACTIVE, "Paid"),
        (S.RETIRED, "Business closed"),
    ]
    for to_state, reason in path:
        partner = move(acme, acme.manager, partner, to_state, reason)
        assert partner.state == to_state
    with tenant_context(acme.tenant):
        saved = PartnerOrganization.objects.get(pk=partner.pk)
        events = list(LifecycleEvent.objects.filter(partner=partner).order_by("created_at", "id"))
        audits = AuditEvent.objects.filter(
            action="partner.lifecycle_changed", target_id=str(partner.uuid)
        ).count()
    assert saved.state == S.RETIRED and saved.is_active is False
    assert [(e.from_state, e.to_state, e.reason) for e in events] == [
        (S.PROSPECT, S.APPLIED, ""),
        (S.APPLIED, S.APPROVED, "Good fit"),
        (S.APPROVED, S.CONTRACTED, "Signed MSA"),
        (S.CONTRACTED, S.ACTIVE, ""),
        (S.ACTIVE, S.SUSPENDED, "Unpaid invoices"),
        (S.SUSPENDED, S.ACTIVE, "Paid"),
        (S.ACTIVE, S.RETIRED, "Business closed"),
    ]
    assert {e.by for e in events} == {acme.manager}
    assert {e.by_label for e in events} == {acme.manager.email}
    assert audits == len(path)


@pytest.mark.parametrize(
    ("start", "to_state"),
    [
        (S.PROSPECT, S.ACTIVE),
        (S.PROSPECT, S.CONTRACTED),
        (S.APPLIED, S.ACTIVE),
        (S.APPROVED, S.ACTIVE),
        (S.ACTIVE, S.APPLIED),
        (S.SUSPENDED, S.CONTRACTED),
        (S.RETIRED, S.ACTIVE),
        (S.RETIRED, S.PROSPECT),
        (S.ACTIVE, S.ACTIVE),
    ],
)
def test_illegal_moves_are_refused_with_a_clear_message_and_leave_no_trace(acme, start, to_state):
    partner = PartnerOrganizationFactory(
        tenant=acme.tenant, state=start, channel_manager=acme.manager
    )
    with pytest.raises(ValidationError) as refused:
        move(acme, acme.admin, partner, to_state, "because")
    message = " ".join(refused.value.messages)
    assert f"cannot move from {S(start).label} to {S(to_state).label}" in message
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.get(pk=partner.pk).state == start
        assert not LifecycleEvent.objects.filter(partner=partner).exists()


def test_unknown_state_is_refused(acme):
    with pytest.raises(ValidationError, match="Unknown lifecycle state"):
        move(acme, acme.admin, acme.partner, "bankrupt")


@pytest.mark.parametrize("to_state", [S.SUSPENDED, S.RETIRED])
def test_suspending_and_retiring_need_a_reason(acme, to_state):
    partner = PartnerOrganizationFactory(tenant=acme.tenant, active=True)
    with pytest.raises(ValidationError) as refused:
        move(acme, acme.admin, partner, to_state, "   ")
    assert "reason" in refused.value.message_dict


def test_every_state_is_reachable_and_retired_is_final():
    reachable = {S.PROSPECT}
    frontier = [S.PROSPECT]
    while frontier:
        for nxt in services.allowed_transitions(frontier.pop()):
            if nxt not in reachable:
                reachable.add(nxt)
                frontier.append(nxt)
    assert reachable == set(S.values)
    assert services.allowed_transitions(S.RETIRED) == ()
    assert all(S.RETIRED in services.allowed_transitions(s) for s in S.values if s != S.RETIRED)


def test_channel_manager_moves_only_their_own_partners(acme):
    with pytest.raises(PermissionDenied):
        move(acme, acme.manager, acme.other_partner, S.APPLIED)
    with tenant_context(acme.tenant):
        assert PartnerOrganization.objects.get(pk=acme.other_partner.pk).state == S.PROSPECT


@pytest.mark.parametrize("role", ["marketing", "executive", "sales", "partner_admin"])
def test_roles_without_partner_management_cannot_move_partners(acme, role):
    with pytest.raises(PermissionDenied):
        move(acme, getattr(acme, role), acme.partner, S.APPLIED)


def test_approving_an_application_records_the_decision_and_emails_next_steps(
    acme, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(
        tenant=acme.tenant,
        partner__tenant=acme.tenant,
        partner__channel_manager=acme.manager,
        contact_email="cto@newco.example",
    )
    with django_capture_on_commit_callbacks(execute=True):
        move(acme, acme.manager, application.partner, S.APPROVED, "Strong EMEA fit")
    application.refresh_from_db()
    assert application.decision == "approved" and application.decided_at is not None
    assert application.decision_reason == "Strong EMEA fit"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["cto@newco.example"]
    # Says what happened, and cannot be mistaken for the onboarding welcome kit that follows.
    assert sent.subject == f"Your application to {acme.tenant.name}'s partner program is approved"
    assert "Next steps" in sent.body and "Strong EMEA fit" in sent.body
    html = sent.alternatives[0][0]
    assert "Next steps" in html and acme.manager.email in html
    with tenant_context(acme.tenant):
        assert AuditEvent.objects.filter(
            action="partner_application.approved", target_id=str(application.uuid)
        ).exists()


def test_rejecting_an_application_retires_the_prospect_and_emails_the_reason(
    acme, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(tenant=acme.tenant, partner__tenant=acme.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        move(acme, acme.admin, application.partner, S.RETIRED, "We do not cover LATAM yet")
    application.refresh_from_db()
    assert application.decision == "rejected"
    assert application.partner.state == S.RETIRED
    assert len(mail.outbox) == 1
    assert "We do not cover LATAM yet" in mail.outbox[0].body
    assert "not able to accept" in mail.outbox[0].body


def test_the_decision_mail_is_written_with_the_decision_and_delivered_once(
    acme, django_capture_on_commit_callbacks
):
    from tenancy.models import OutboundEmail
    from tenancy.tasks import deliver_email

    application = ApplicationFactory(tenant=acme.tenant, partner__tenant=acme.tenant)
    with django_capture_on_commit_callbacks(execute=True):
        move(acme, acme.admin, application.partner, S.APPROVED)
    with tenant_context(acme.tenant):
        row = OutboundEmail.objects.get(source_uuid=application.uuid)
    assert row.partner_uuid == application.partner.uuid and row.status == "sent"
    for _ in range(2):  # the delivery task delivered again
        deliver_email.apply(kwargs={"email_id": row.pk}, task_id="same-delivery")
    assert len(mail.outbox) == 1


def test_moves_without_an_open_application_send_no_email(acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        move(acme, acme.admin, acme.partner, S.APPROVED)
    assert mail.outbox == []


def test_system_actor_may_move_any_partner(acme):
    with tenant_context(acme.tenant):
        partner = services.partner_transition(
            actor=SYSTEM, partner=acme.other_partner, to_state=S.APPLIED
        )
        event = LifecycleEvent.objects.get(partner=partner)
    assert event.by is None and event.by_label == "system"
