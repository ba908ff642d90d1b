"""Invite by email → set password → joined with a role."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import AuditEvent, Membership, User

pytestmark = pytest.mark.django_db


def invite(world, email="newbie@acme.test", role="partner_sales", org=None, by=None):
    by = by or world.admin
    with tenant_context(world.tenant):
        return services.invitation_create(
            actor=actor_for_user(by, world.tenant),
            email=email,
            role=role,
            partner_organization=org
            if org is not None
            else (world.partner if role.startswith("partner") else None),
        )


def accept_url(invitation):
    return reverse("invitation_accept", kwargs={"token": services.invitation_token(invitation)})


def test_new_person_sets_password_and_joins_with_role(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(acme)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["newbie@acme.test"]
    # The signed token carries a timestamp: take the link from the email itself.
    link = re.search(r"http://acme\.localhost:8000(/invitations/\S+/)", message.body).group(1)
    client = Client(HTTP_HOST=acme.host())
    assert client.get(link).status_code == 200
    response = client.post(
        link, {"full_name": "New Bie", "password1": "sunny-otter-42", "password2": "sunny-otter-42"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="newbie@acme.test")
    assert user.check_password("sunny-otter-42") and user.full_name == "New Bie"
    with tenant_context(acme.tenant):
        membership = Membership.objects.get(user=user)
        assert AuditEvent.objects.filter(
            action="membership.created", target_id=str(membership.uuid)
        ).exists()
    assert membership.role == "partner_sales" and membership.partner_organization == acme.partner
    assert client.get(reverse("portal_home")).status_code == 200  # logged in
    # The link is single-use.
    assert Client(HTTP_HOST=acme.host()).get(link).status_code == 400


def test_weak_password_is_refused_and_nothing_is_created(acme):
    invitation = invite(acme)
    response = Client(HTTP_HOST=acme.host()).post(
        accept_url(invitation), {"full_name": "N", "password1": "123", "password2": "123"}
    )
    assert response.status_code == 400 and response.context["form"].errors
    assert not User.objects.filter(email="newbie@acme.test").exists()


def test_existing_user_joins_another_vendor_with_the_same_login(acme, globex):
    invitation = invite(
        globex, email=acme.partner_sales.email, role="partner_sales", org=globex.partner
    )
    client = globex.client(acme.partner_sales)
    response = client.post(accept_url(invitation))
    assert response.status_code == 302
    with tenant_context(globex.tenant):
        assert (
            Membership.objects.get(user=acme.partner_sales).partner_organization == globex.partner
        )


def test_invitation_for_someone_else_is_refused(acme):
    invitation = invite(acme)
    response = acme.client(acme.manager).post(accept_url(invitation))
    assert response.status_code == 403
    with tenant_context(acme.tenant):
        assert not Membership.objects.filter(user__email="newbie@acme.test").exists()


def test_expired_invitation_is_refused(acme):
    invitation = invite(acme)
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = Client(HTTP_HOST=acme.host()).get(accept_url(invitation))
    assert response.status_code == 400 and "expired" in response.content.decode()


def test_tampered_token_is_refused(acme):
    response = Client(HTTP_HOST=acme.host()).get(
        reverse("invitation_accept", kwargs={"token": "abc:def"})
    )
    assert response.status_code == 400


def test_revoked_invitation_is_refused(acme):
    invitation = invite(acme)
    with tenant_context(acme.tenant):
        services.invitation_revoke(
            actor=actor_for_user(acme.admin, acme.tenant), invitation=invitation
        )
    assert Client(HTTP_HOST=acme.host()).get(accept_url(invitation)).status_code == 400


def test_inviting_an_existing_member_is_a_field_error(acme):
    response = acme.client(acme.admin).post(
        reverse("console_team"), {"email": acme.manager.email, "role": "marketing"}
    )
    assert response.status_code == 400
    assert "email" in response.context["invite_form"].errors


def test_create_tenant_command_bootstraps_a_tenant_with_its_first_admin(
    mailoutbox, django_capture_on_commit_callbacks
):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    from tenancy.models import Tenant

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_tenant", slug="initrode", name="Initrode", admin_email="Boss@Initrode.test"
        )
    tenant = Tenant.objects.get(slug="initrode")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["boss@initrode.test"]
    assert "initrode.localhost" in mailoutbox[0].body
    with pytest.raises(CommandError):
        call_command("create_tenant", slug="initrode", name="Again", admin_email="x@y.test")
    with pytest.raises(CommandError):
        call_command("create_tenant", slug="Bad Slug!", name="Bad", admin_email="x@y.test")
    assert Tenant.objects.count() == 1 and tenant.name == "Initrode"
