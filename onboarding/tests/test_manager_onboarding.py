"""A channel manager onboards a partner alone: invites its people (the one invitation
mechanism), sends and resends the agreement (recorded, audited, mailed), and the partner goes
from applied to active with no program-admin step. Owner / wrong role / other tenant on every
page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from onboarding.models import AgreementSend
from onboarding.services.agreement_send import AGREEMENT_SENT
from partners.models import ApplicationRoutingRule, LifecycleState, PartnerOrganization
from partners.services.applications import application_submit
from tenancy.context import tenant_context
from tenancy.emails import INVITATION
from tenancy.models import AuditEvent, Invitation, Membership, OutboundEmail
from tenancy.roles import Role
from tenancy.services import invitation_accept
from tenancy.tests.factories import MembershipFactory, UserFactory

from .test_agreements_services import approve, publish

pytestmark = pytest.mark.django_db


def users_url(partner):
    return reverse("console_partner_users", kwargs={"partner_uuid": partner.uuid})


def send_url(partner):
    return reverse("console_partner_agreement_send", kwargs={"partner_uuid": partner.uuid})


def agreement_url(partner):
    return reverse("console_partner_agreement", kwargs={"partner_uuid": partner.uuid})


def other_manager(world):
    user = UserFactory(email="second-manager@acme.test")
    MembershipFactory(tenant=world.tenant, user=user, role=Role.CHANNEL_MANAGER)
    return user


def mails(world, kind):
    with tenant_context(world.tenant):
        return list(OutboundEmail.objects.filter(kind=kind).order_by("pk"))


# --- Inviting the partner's people ---------------------------------------------------------------


def test_the_partners_manager_invites_a_partner_admin(acme):
    client = acme.client(acme.manager)
    page = client.get(users_url(acme.partner))
    assert page.status_code == 200 and b"invite-form" in page.content
    assert acme.partner_admin.email.encode() in page.content  # its current people
    response = client.post(
        users_url(acme.partner), {"email": "New.Admin@Partner.test", "role": Role.PARTNER_ADMIN}
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        invitation = Invitation.objects.get(email="new.admin@partner.test")
        assert invitation.partner_organization_id == acme.partner.pk
        assert invitation.invited_by == acme.manager and invitation.role == Role.PARTNER_ADMIN
        assert AuditEvent.objects.filter(action="invitation.created", actor=acme.manager).exists()
    assert [m.recipient_email for m in mails(acme, INVITATION)] == ["new.admin@partner.test"]
    assert b"new.admin@partner.test" in client.get(users_url(acme.partner)).content


def test_a_manager_gives_only_partner_roles(acme):
    response = acme.client(acme.manager).post(
        users_url(acme.partner), {"email": "boss@partner.test", "role": Role.PROGRAM_ADMIN}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["role"]
    assert b'value="boss@partner.test"' in response.content
    with tenant_context(acme.tenant):
        assert not Invitation.objects.filter(email="boss@partner.test").exists()


def test_inviting_wrong_role_403_another_manager_and_other_tenant_404(acme, globex):
    data = {"email": "x@partner.test", "role": Role.PARTNER_SALES}
    # Marketing sees every partner but invites nobody.
    assert acme.client(acme.marketing).get(users_url(acme.partner)).status_code == 200
    assert acme.client(acme.marketing).post(users_url(acme.partner), data).status_code == 403
    # Another channel manager does not see this partner at all.
    assert acme.client(other_manager(acme)).get(users_url(acme.partner)).status_code == 404
    # acme.manager does not manage other_partner.
    assert acme.client(acme.manager).post(users_url(acme.other_partner), data).status_code == 404
    assert globex.client(globex.manager).get(users_url(acme.partner)).status_code == 404
    with tenant_context(acme.tenant):
        assert not Invitation.objects.filter(email="x@partner.test").exists()


# --- Sending the agreement -----------------------------------------------------------------------


def test_the_manager_sends_then_resends_the_agreement(acme):
    template = publish(acme, title="Partner terms")
    with tenant_context(acme.tenant):
        approve(acme.partner)
    client = acme.client(acme.manager)
    page = client.get(agreement_url(acme.partner))
    assert b"agreement-send-form" in page.content and b"Not sent yet." in page.content
    first = client.post(send_url(acme.partner), {"to_email": acme.partner_admin.email})
    assert first.status_code == 302
    second = client.post(send_url(acme.partner), {"to_email": acme.partner_admin.email})
    assert second.status_code == 302
    with tenant_context(acme.tenant):
        sends = list(AgreementSend.objects.order_by("sent_at", "pk"))
        actions = list(
            AuditEvent.objects.filter(action__in=["agreement.sent", "agreement.resent"])
            .order_by("pk")
            .values_list("action", flat=True)
        )
    assert [(s.is_resend, s.template_id, s.sent_by_id, s.to_email) for s in sends] == [
        (False, template.pk, acme.manager.pk, acme.partner_admin.email),
        (True, template.pk, acme.manager.pk, acme.partner_admin.email),
    ]
    assert actions == ["agreement.sent", "agreement.resent"]
    sent = mails(acme, AGREEMENT_SENT)
    assert [m.recipient_email for m in sent] == [acme.partner_admin.email] * 2
    assert sent[0].subject.startswith("Please sign") and sent[1].subject.startswith("Reminder")
    assert "/portal/agreement/" in sent[0].body_text
    assert acme.manager.email in sent[0].reply_to
    page = client.get(agreement_url(acme.partner)).content.decode()
    assert "Resent" in page and "Send again" in page


def test_an_invited_admin_who_has_not_joined_gets_the_agreement_by_mail(acme):
    publish(acme)
    with tenant_context(acme.tenant):
        approve(acme.other_partner)
        PartnerOrganization.objects.filter(pk=acme.other_partner.pk).update(
            channel_manager=acme.manager
        )
        Membership.objects.filter(partner_organization=acme.other_partner).delete()
    acme.client(acme.manager).post(
        users_url(acme.other_partner), {"email": "signer@two.test", "role": Role.PARTNER_ADMIN}
    )
    response = acme.client(acme.manager).post(
        send_url(acme.other_partner), {"to_email": "signer@two.test"}
    )
    assert response.status_code == 302
    sent = mails(acme, AGREEMENT_SENT)
    assert [(m.recipient_email, m.recipient_id) for m in sent] == [("signer@two.test", None)]
    assert "Accept the invitation" in sent[0].body_text


def test_sending_is_refused_before_approval_and_to_someone_who_cannot_sign(acme):
    publish(acme)
    client = acme.client(acme.manager)
    with tenant_context(acme.tenant):
        PartnerOrganization.objects.filter(pk=acme.partner.pk).update(state=LifecycleState.APPLIED)
    refused = client.post(
        send_url(acme.partner), {"to_email": acme.partner_admin.email}, follow=True
    )
    assert "can sign once it is in the program" in refused.content.decode()
    with tenant_context(acme.tenant):
        approve(PartnerOrganization.objects.get(pk=acme.partner.pk))
    wrong = client.post(send_url(acme.partner), {"to_email": acme.partner_sales.email}, follow=True)
    assert "Choose one of the partner&#x27;s admins" in wrong.content.decode()
    with tenant_context(acme.tenant):
        assert not AgreementSend.objects.exists()
    assert mails(acme, AGREEMENT_SENT) == []


def test_sending_wrong_role_403_another_manager_and_other_tenant_404(acme, globex):
    publish(acme)
    with tenant_context(acme.tenant):
        approve(acme.partner)
    data = {"to_email": acme.partner_admin.email}
    assert acme.client(acme.marketing).post(send_url(acme.partner), data).status_code == 403
    assert acme.client(other_manager(acme)).post(send_url(acme.partner), data).status_code == 404
    assert globex.client(globex.manager).post(send_url(acme.partner), data).status_code == 404
    with tenant_context(acme.tenant):
        assert not AgreementSend.objects.exists()


# --- The whole way, no program admin -------------------------------------------------------------


def test_from_application_to_active_with_only_the_channel_manager(
    acme, django_capture_on_commit_callbacks
):
    publish(acme)  # the program exists already; nothing below is a program admin's step
    with tenant_context(acme.tenant):
        before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    with tenant_context(acme.tenant):
        ApplicationRoutingRule.objects.create(
            tenant=acme.tenant, name="German MSPs", countries=["DE"], channel_manager=acme.manager
        )
        application = application_submit(
            company_name="Zulu Systems",
            website="https://zulu.example",
            contact_name="Zoe Zulu",
            contact_email="zoe@zulu.example",
            partner_types=["msp"],
            country="DE",
        )
    partner = application.partner
    client = acme.client(acme.manager)
    # Assigned by the rule: the manager approves.
    assert client.post(f"/console/applications/{application.uuid}/approve/").status_code == 302
    # Invites the applicant as partner admin; she joins.
    client.post(users_url(partner), {"email": "zoe@zulu.example", "role": Role.PARTNER_ADMIN})
    with tenant_context(acme.tenant):
        invitation = Invitation.objects.get(email="zoe@zulu.example")
        invitation_accept(invitation=invitation, password="A-long-pass-phrase-9", full_name="Zoe")
    zoe = Membership.objects.unscoped().get(user__email="zoe@zulu.example").user
    # Sends the agreement; she signs it in the portal.
    assert client.post(send_url(partner), {"to_email": "zoe@zulu.example"}).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        signed = acme.client(zoe).post(
            "/portal/agreement/", {"signer_name": "Zoe Zulu", "signer_title": "CEO", "agree": "on"}
        )
    assert signed.status_code == 302
    with tenant_context(acme.tenant):
        partner.refresh_from_db()
        assert partner.state == LifecycleState.ACTIVE
        program_admin_actions = AuditEvent.objects.filter(actor=acme.admin, pk__gt=before)
        assert AuditEvent.objects.filter(actor=acme.manager, pk__gt=before).count() >= 3
        assert not program_admin_actions.exists()


def test_a_manager_cannot_invite_into_a_partner_they_do_not_manage_even_through_the_service(
    acme,
):
    from django.core.exceptions import ValidationError

    from tenancy.access import actor_for_user
    from tenancy.services import invitation_create

    with tenant_context(acme.tenant):
        actor = actor_for_user(acme.manager, acme.tenant)
        with pytest.raises(ValidationError) as refused:
            invitation_create(
                actor=actor,
                email="sneaky@two.test",
                role=Role.PARTNER_ADMIN,
                partner_organization=acme.other_partner,
            )
        assert "You may not give this role." in str(refused.value)
        assert not Invitation.objects.filter(email="sneaky@two.test").exists()
