"""Login, MFA for tenant admins, rate limiting, CSRF on every form, host-scoped sessions."""

import pytest
from django.test import Client
from django.urls import reverse

from tenancy.tests.factories import PASSWORD, MembershipFactory, UserFactory, totp_code
from tests.test_isolation_walk import walk

pytestmark = pytest.mark.django_db


def login(client: Client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def test_member_logs_in_with_email_and_password(acme):
    client = Client(HTTP_HOST=acme.host())
    response = login(client, acme.manager.email)
    assert response.status_code == 302
    assert client.get(reverse("console_home")).status_code == 200


def test_program_admin_with_totp_must_enter_a_code(acme):
    client = Client(HTTP_HOST=acme.host())
    response = login(client, acme.admin.email)
    assert response.url == reverse("mfa_authenticate")
    assert client.get(reverse("console_home")).status_code == 302  # not logged in yet
    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert response.status_code == 200 and response.context["form"].errors
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert response.status_code == 302
    assert client.get(reverse("console_home")).status_code == 200


def test_program_admin_without_totp_is_sent_to_set_it_up(acme):
    admin = UserFactory()
    MembershipFactory(tenant=acme.tenant, user=admin, role="program_admin")
    client = acme.client(admin)
    response = client.get(reverse("console_team"))
    assert response.status_code == 302 and response.url == reverse("mfa_activate_totp")
    # allauth asks for the password again before enrolling an authenticator.
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 200 or setup.url.startswith(reverse("account_reauthenticate"))
    # The API refuses too, with a JSON reason.
    api = acme.api(admin)
    response = api.get("/api/v1/memberships/")
    assert response.status_code == 403 and "two-factor" in response.json()["detail"]


def test_mfa_is_optional_for_other_roles(acme):
    assert acme.client(acme.manager).get(reverse("console_home")).status_code == 200
    assert acme.client(acme.partner_admin).get(reverse("portal_home")).status_code == 200


def test_repeated_failed_logins_are_rate_limited(acme):
    client = Client(HTTP_HOST=acme.host())
    for _ in range(5):
        response = login(client, acme.manager.email, "wrong-password")
        assert response.status_code == 200
    # Even the right password is refused now, and no session is created.
    response = login(client, acme.manager.email)
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session
    if response.status_code == 200:
        assert "Too many failed login attempts" in response.content.decode()


def form_routes():
    """Every HTML route of ours that accepts POST (the API is covered by DRF's own CSRF rules)."""
    skip = ("admin/", "api/", "dev/", "healthz")
    for route, name, _pattern in walk():
        if route.startswith(skip) or "<" in route or "(?P" in route:
            continue
        yield name


@pytest.mark.parametrize("name", sorted(set(form_routes())))
def test_every_form_rejects_a_post_without_csrf_token(acme, name):
    client = Client(HTTP_HOST=acme.host(), enforce_csrf_checks=True)
    client.force_login(acme.admin)
    response = client.post(reverse(name), {})
    assert response.status_code == 403, f"{name} accepted a POST without a CSRF token"


def test_session_is_host_scoped(acme, globex):
    # A member of both tenants: a session opened on acme is still worth nothing on globex.
    user = acme.manager
    MembershipFactory(tenant=globex.tenant, user=user, role="channel_manager")
    client = Client(HTTP_HOST=acme.host())
    response = login(client, user.email)
    cookie = response.cookies["sessionid"]
    assert cookie["domain"] == ""  # host-only cookie
    thief = Client(HTTP_HOST=globex.host())
    thief.cookies["sessionid"] = cookie.value
    response = thief.get(reverse("console_home"))
    assert response.status_code == 302 and "/accounts/login" in response.url


def test_one_login_works_for_every_vendor_the_user_belongs_to(acme, globex):
    user = acme.partner_admin
    MembershipFactory(
        tenant=globex.tenant, user=user, role="partner_admin", partner_organization=globex.partner
    )
    for world in (acme, globex):
        client = Client(HTTP_HOST=world.host())
        login(client, user.email)
        response = client.get(reverse("portal_home"))
        assert response.status_code == 200
        assert response.context["organization"] == world.partner


def test_platform_home_lists_the_users_workspaces(acme, globex):
    user = acme.partner_admin
    MembershipFactory(
        tenant=globex.tenant, user=user, role="partner_admin", partner_organization=globex.partner
    )
    client = Client(HTTP_HOST="127.0.0.1")
    login(client, user.email)
    response = client.get("/")
    assert {m.tenant.slug for m, _url in response.context["workspaces"]} == {"acme", "globex"}


def test_public_signup_is_closed(acme):
    response = Client(HTTP_HOST=acme.host()).post(
        reverse("account_signup"),
        {"email": "x@y.test", "password1": "aB3$dfgh12", "password2": "aB3$dfgh12"},
    )
    from tenancy.models import User

    assert not User.objects.filter(email="x@y.test").exists()
    assert response.status_code in (200, 302, 403)
