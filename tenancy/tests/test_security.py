"""Security findings of issue 10, each refused through the pages and the API: API keys that
outlive their owner, self-(re)activation, the membership API's scope, the dev mailbox and password
reset across tenants."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import ApiKey, AuditEvent, Membership
from tenancy.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def make_key(world, by, role, partner_organization=None):
    with tenant_context(world.tenant):
        return services.api_key_create(
            actor=actor_for_user(by, world.tenant),
            name="CRM",
            role=role,
            partner_organization=partner_organization,
        )


def key_client(world, plaintext) -> APIClient:
    return APIClient(HTTP_HOST=world.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def membership_of(world, user) -> Membership:
    with tenant_context(world.tenant):
        return Membership.objects.get(user=user)


# --- An API key does not outlive its owner --------------------------------------------------


def test_deactivating_a_partner_admin_revokes_their_keys_for_good(acme):
    key, plaintext = make_key(acme, acme.partner_admin, "partner_admin", acme.partner)
    client = key_client(acme, plaintext)
    assert client.get("/api/v1/me/").status_code == 200
    target = membership_of(acme, acme.partner_admin)
    url = reverse("console_team_member", kwargs={"membership_uuid": target.uuid})
    assert acme.client(acme.admin).post(url, {"action": "deactivate"}).status_code == 302

    refused = client.get("/api/v1/me/")
    assert refused.status_code == 401 and refused.json()["detail"]
    with tenant_context(acme.tenant):
        key.refresh_from_db()
        assert key.revoked_at is not None
        assert AuditEvent.objects.filter(
            action="api_key.revoked", target_id=str(key.uuid), changes__reason="member_deactivated"
        ).exists()
    # Reactivating the person does not bring the key back: they make a new one.
    assert acme.client(acme.admin).post(url, {"action": "activate"}).status_code == 302
    assert client.get("/api/v1/me/").status_code == 401
    with tenant_context(acme.tenant):
        assert ApiKey.objects.get(pk=key.pk).revoked_at is not None


def test_key_stops_when_its_creator_is_deactivated_outside_the_services(acme):
    """Deactivation through the platform admin (or any path that bypasses the services) stops
    the key too: authentication checks the creator on every call."""
    _, plaintext = make_key(acme, acme.partner_admin, "partner_admin", acme.partner)
    client = key_client(acme, plaintext)
    with tenant_context(acme.tenant):
        Membership.objects.filter(user=acme.partner_admin).update(is_active=False)
    assert client.get("/api/v1/me/").status_code == 401
    own = membership_of(acme, acme.partner_admin)
    # The finding: with the key, the deactivated admin re-activated themselves.
    response = client.patch(f"/api/v1/memberships/{own.uuid}/", {"is_active": True}, format="json")
    assert response.status_code == 401
    assert membership_of(acme, acme.partner_admin).is_active is False


def test_key_stops_when_its_creator_user_is_disabled(acme):
    _, plaintext = make_key(acme, acme.admin, "executive")
    acme.admin.is_active = False
    acme.admin.save(update_fields=["is_active"])
    assert key_client(acme, plaintext).get("/api/v1/me/").status_code == 401


def test_key_stops_when_its_creator_no_longer_may_give_its_role(acme):
    key, plaintext = make_key(acme, acme.partner_admin, "partner_admin", acme.partner)
    target = membership_of(acme, acme.partner_admin)
    with tenant_context(acme.tenant):
        services.membership_change_role(
            actor=actor_for_user(acme.admin, acme.tenant), membership=target, role="partner_sales"
        )
        key.refresh_from_db()
        assert key.revoked_at is not None
    assert key_client(acme, plaintext).get("/api/v1/me/").status_code == 401


def test_key_of_a_creator_in_good_standing_keeps_working(acme):
    _, plaintext = make_key(acme, acme.partner_admin, "partner_sales", acme.partner)
    other = membership_of(acme, acme.partner_sales)
    url = reverse("console_team_member", kwargs={"membership_uuid": other.uuid})
    # Someone else's deactivation does not touch this key.
    assert acme.client(acme.admin).post(url, {"action": "deactivate"}).status_code == 302
    assert key_client(acme, plaintext).get("/api/v1/me/").json()["role"] == "partner_sales"


def test_nobody_changes_their_own_activation_through_a_key(acme):
    _, plaintext = make_key(acme, acme.partner_admin, "partner_admin", acme.partner)
    own = membership_of(acme, acme.partner_admin)
    client = key_client(acme, plaintext)
    response = client.patch(f"/api/v1/memberships/{own.uuid}/", {"is_active": False}, format="json")
    assert response.status_code == 400 and "yourself" in str(response.json())
    response = client.patch(f"/api/v1/memberships/{own.uuid}/", {"role": "partner_sales"})
    assert response.status_code == 400
    assert membership_of(acme, acme.partner_admin).is_active is True
    # A colleague is still theirs to manage.
    colleague = membership_of(acme, acme.partner_sales)
    response = client.patch(
        f"/api/v1/memberships/{colleague.uuid}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 200 and response.json()["is_active"] is False


def test_nobody_changes_their_own_activation_through_page_or_session_api(acme):
    own = membership_of(acme, acme.partner_admin)
    url = reverse("portal_team_member", kwargs={"membership_uuid": own.uuid})
    page = acme.client(acme.partner_admin).post(url, {"action": "deactivate"})
    assert page.status_code == 400 and "You cannot deactivate yourself." in page.content.decode()
    nonsense = acme.client(acme.partner_admin).post(url, {"action": "promote"})
    assert nonsense.status_code == 400
    api = acme.api(acme.partner_admin).patch(
        f"/api/v1/memberships/{own.uuid}/", {"is_active": False}, format="json"
    )
    assert api.status_code == 400
    assert membership_of(acme, acme.partner_admin).is_active is True


def test_key_made_with_a_key_is_answered_for_by_the_person_behind_it(acme):
    _, plaintext = make_key(acme, acme.admin, "program_admin")
    created = key_client(acme, plaintext).post(
        "/api/v1/api-keys/", {"name": "Child", "role": "executive"}, format="json"
    )
    assert created.status_code == 201
    with tenant_context(acme.tenant):
        assert ApiKey.objects.get(name="Child").created_by == acme.admin
    assert key_client(acme, created.json()["key"]).get("/api/v1/me/").status_code == 200


# --- The membership API shows what the pages show --------------------------------------------


def listed(client, path="/api/v1/memberships/"):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return {m["email"] for m in response.json()["results"]}


def test_channel_manager_lists_only_the_people_of_their_partners(acme, globex):
    assert acme.client(acme.manager).get(reverse("console_team")).status_code == 403
    emails = listed(acme.api(acme.manager))
    assert acme.partner_admin.email in emails  # acme.partner is theirs
    assert acme.other_partner_admin.email not in emails  # another manager's partner
    assert not emails & {acme.admin.email, acme.sales.email, acme.marketing.email}
    assert not any(e.endswith("globex.test") or "globex" in e for e in emails)
    staff = membership_of(acme, acme.admin)
    assert acme.api(acme.manager).get(f"/api/v1/memberships/{staff.uuid}/").status_code == 404
    assert acme.api(acme.manager).get("/api/v1/invitations/").status_code == 403


def test_marketing_lists_partner_people_but_no_staff(acme):
    assert acme.client(acme.marketing).get(reverse("console_team")).status_code == 403
    emails = listed(acme.api(acme.marketing))
    assert {acme.partner_admin.email, acme.other_partner_admin.email} <= emails
    assert not emails & {acme.admin.email, acme.manager.email, acme.executive.email}


def test_team_page_readers_list_everyone_and_other_roles_are_refused(acme, globex):
    for reader in (acme.admin, acme.executive):
        assert acme.client(reader).get(reverse("console_team")).status_code == 200
        emails = listed(acme.api(reader))
        assert {acme.manager.email, acme.partner_admin.email} <= emails
        assert globex.admin.email not in emails
    assert acme.client(acme.sales).get(reverse("console_team")).status_code == 403
    assert acme.api(acme.sales).get("/api/v1/memberships/").status_code == 403
    # Another tenant's admin is nobody here.
    assert acme.api(globex.admin).get("/api/v1/memberships/").status_code == 403


def test_partner_users_list_their_own_organisation_only(acme):
    emails = listed(acme.api(acme.partner_sales))
    assert acme.partner_admin.email in emails
    assert acme.other_partner_admin.email not in emails and acme.admin.email not in emails
    # Invitations are the partner admin's business, as on the portal team page.
    assert acme.client(acme.partner_sales).get(reverse("portal_team")).status_code == 403
    assert acme.api(acme.partner_sales).get("/api/v1/invitations/").status_code == 403
    assert acme.api(acme.partner_admin).get("/api/v1/invitations/").status_code == 200


def test_manager_filters_still_list_the_channel_managers(acme):
    """Pickers of channel managers are not the team list: marketing still filters by one."""
    response = acme.client(acme.marketing).get(reverse("console_partner_list"))
    assert response.status_code == 200
    assert acme.manager.email in response.content.decode() or (
        acme.manager.full_name and acme.manager.full_name in response.content.decode()
    )
    found = acme.api(acme.marketing).get(
        "/api/v1/partner-organizations/", {"manager": acme.manager.email}
    )
    assert [p["id"] for p in found.json()["results"]] == [str(acme.partner.uuid)]


# --- The development mailbox ------------------------------------------------------------------


@override_settings(DEBUG=True)
def test_dev_mailbox_is_for_platform_staff_only(acme):
    from django.core.exceptions import PermissionDenied

    from tenancy.views import dev_mailbox

    def call(user):
        request = RequestFactory().get("/dev/mailbox/", HTTP_HOST=acme.host())
        request.user = user
        request.tenant = acme.tenant
        return dev_mailbox(request)

    anonymous = call(AnonymousUser())
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    with pytest.raises(PermissionDenied):
        call(acme.admin)  # a tenant's program admin is not platform staff
    staff = UserFactory(email="ops@platform.test", is_staff=True)
    assert call(staff).status_code == 200


# --- Password reset stays inside the tenant of the host -------------------------------------


def reset(world_or_host, email):
    from django.test import TestCase

    host = world_or_host if isinstance(world_or_host, str) else world_or_host.host()
    # Account mail goes through the outbox: delivered once the request's transaction commits.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return Client(HTTP_HOST=host).post(reverse("account_reset_password"), {"email": email})


def test_password_reset_at_a_tenant_host_only_for_its_members(acme, globex):
    mine = reset(acme, acme.partner_sales.email)
    theirs = reset(acme, globex.admin.email)
    unknown = reset(acme, "nobody@nowhere.test")
    # The visitor cannot tell the three apart.
    assert mine.status_code == theirs.status_code == unknown.status_code == 302
    assert mine["Location"] == theirs["Location"] == unknown["Location"]
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "/accounts/password/reset/key/" in by_recipient[acme.partner_sales.email]
    for email in (globex.admin.email, "nobody@nowhere.test"):
        body = by_recipient[email]
        assert "/password/reset/key/" not in body
        assert "signup" not in body and "sign up" not in body.lower()
        assert "Acme" in body


def test_password_reset_refused_to_a_deactivated_member(acme):
    with tenant_context(acme.tenant):
        Membership.objects.filter(user=acme.marketing).update(is_active=False)
    assert reset(acme, acme.marketing.email).status_code == 302
    assert "/password/reset/key/" not in mail.outbox[0].body


def test_password_reset_at_the_platform_host_works_for_any_account(globex):
    assert reset("localhost", globex.admin.email).status_code == 302
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_platform_operator_command_makes_a_staff_login_that_reads_the_mailbox(db, monkeypatch):
    import io

    from allauth.account.models import EmailAddress
    from django.core.management import call_command

    from tenancy.models import User

    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-passphrase-2026\n"))
    call_command("platform_operator", "Ops@Platform.test", "--password-stdin", stdout=io.StringIO())
    user = User.objects.get(email="ops@platform.test")
    assert user.is_staff and user.is_superuser and user.check_password("a-long-passphrase-2026")
    assert EmailAddress.objects.get(user=user).verified
    client = Client(HTTP_HOST="localhost")
    response = client.post(
        reverse("account_login"),
        {"login": "ops@platform.test", "password": "a-long-passphrase-2026"},
    )
    assert response.status_code == 302 and "confirm" not in response["Location"]
    with override_settings(DEBUG=True):
        from tenancy.views import dev_mailbox

        request = RequestFactory().get("/dev/mailbox/")
        request.user = user
        assert dev_mailbox(request).status_code == 200
