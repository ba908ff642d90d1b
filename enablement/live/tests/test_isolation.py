"""Tenant isolation over every live-session route that takes an id (the project-wide walk in
tests/test_isolation_walk.py covers these once they are wired; this runs it on our URLconf)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from enablement.live.models import Registration, RegistrationStatus
from enablement.live.tests.factories import LiveSessionFactory
from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = [pytest.mark.django_db, pytest.mark.urls("enablement.live.tests.urls")]

ROUTES = [
    # (URL name, kwarg, which object, verbs)
    ("portal_session_register", "session_uuid", "session", ["get", "post"]),
    ("portal_session_cancel", "session_uuid", "session", ["get", "post"]),
    ("console_session_detail", "session_uuid", "session", ["get", "post"]),
    ("console_session_attendance", "session_uuid", "session", ["get", "post"]),
    ("live-sessions-detail", "id", "session", ["get"]),
    ("live-sessions-register", "id", "session", ["post"]),
    ("live-sessions-cancel", "id", "session", ["post"]),
    ("live-registrations-detail", "id", "registration", ["get"]),
]


@pytest.fixture
def victims(globex):
    session = LiveSessionFactory(tenant=globex.tenant)
    registration = Registration.objects.unscoped().create(
        tenant=globex.tenant,
        session=session,
        user=globex.partner_sales,
        status=RegistrationStatus.CONFIRMED,
    )
    return {"session": session.uuid, "registration": registration.uuid}


@pytest.mark.parametrize(("name", "kwarg", "target", "verbs"), ROUTES, ids=[r[0] for r in ROUTES])
def test_user_of_tenant_a_gets_404_for_tenant_b_objects(name, kwarg, target, verbs, acme, victims):
    url = reverse(name, kwargs={kwarg: victims[target]})
    users = [acme.partner_admin] if name.startswith("portal") else [acme.admin]
    if name.startswith("live-"):
        users = [acme.admin, acme.partner_admin]
    for user in users:
        client = acme.client(user)
        codes = {verb: getattr(client, verb)(url).status_code for verb in verbs}
        assert set(codes.values()) <= {404, 405} and 404 in codes.values(), (url, user, codes)


@pytest.mark.parametrize(
    ("name", "kwarg", "target", "verbs"),
    [r for r in ROUTES if r[0].startswith("live-")],
    ids=[r[0] for r in ROUTES if r[0].startswith("live-")],
)
def test_api_key_of_tenant_a_gets_404_for_tenant_b_objects(
    name, kwarg, target, verbs, acme, victims
):
    with tenant_context(acme.tenant):
        _, plaintext = services.api_key_create(
            actor=actor_for_user(acme.admin, acme.tenant), name="walker", role="program_admin"
        )
    url = reverse(name, kwargs={kwarg: victims[target]})
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    for verb in verbs:
        response = getattr(client, verb)(url)
        assert response.status_code == 404, (verb, url, response.status_code)
