"""The platform admin: operators only, at a platform host, through allauth, with TOTP."""

import pytest
from django.test import Client

from tenancy.tests.factories import UserFactory, enable_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator():
    user = UserFactory(is_staff=True, is_superuser=True)
    enable_totp(user)
    return user


def test_operator_with_totp_uses_admin_at_platform_host(operator, acme):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    assert client.get("/admin/").status_code == 200
    response = client.get("/admin/tenancy/membership/")
    assert response.status_code == 200 and str(acme.admin) in response.content.decode()


def test_admin_is_closed_at_a_tenant_host(operator, acme):
    client = acme.client(operator)
    response = client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_operator_without_totp_is_refused(acme):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    assert client.get("/admin/").status_code == 302


def test_admin_login_goes_through_allauth(acme):
    response = Client(HTTP_HOST="127.0.0.1").get("/admin/login/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_tenant_member_is_refused(acme):
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(acme.admin)
    assert client.get("/admin/login/").status_code == 403
