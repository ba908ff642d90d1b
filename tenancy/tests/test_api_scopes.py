"""Per-key scopes: a key limited to some areas, or to reading them, is refused the rest (403,
JSON, the missing scope named); "who am I" answers every key; a key never makes a key with more
than its own scopes; scopes never widen a role; the console shows and records them."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from dealreg.tests.helpers import complete_101, deal_data
from dealreg.tests.test_conflicts import ready
from tenancy import services
from tenancy.api import scopes
from tenancy.context import tenant_context
from tenancy.models import ApiKey, AuditEvent

pytestmark = pytest.mark.django_db
DEALS = "/api/v1/deal-registrations/"


def key_for(world, user, role, scopes_=None) -> str:
    with tenant_context(world.tenant):
        _key, plaintext = services.api_key_create(
            actor=world.actor(user), name="Integration", role=role, scopes=scopes_
        )
    return plaintext


def client(world, key: str) -> APIClient:
    world.warm_host_cache()
    return APIClient(HTTP_HOST=world.host(), HTTP_AUTHORIZATION=f"Bearer {key}")


def test_every_area_of_the_api_is_registered():
    keys = {area.key for area in scopes.areas()}
    assert keys == {
        "account",
        "program",
        "onboarding",
        "learning",
        "deals",
        "marketing",
        "analytics",
        "integrations",
    }


def test_a_read_only_deals_key_reads_deals_and_nothing_else(acme):
    ready(acme)
    api = client(acme, key_for(acme, acme.partner_admin, "partner_sales", ["deals:read"]))
    assert api.get(DEALS).status_code == 200
    assert api.get("/api/v1/me/").status_code == 200
    refused = api.post(DEALS, deal_data(), format="json")
    assert refused.status_code == 403
    assert "deals:write" in refused.json()["detail"]
    refused = api.get("/api/v1/courses/")
    assert refused.status_code == 403 and "learning:read" in refused.json()["detail"]


def test_a_write_scope_includes_reading_and_lets_the_key_register(acme):
    ready(acme)
    complete_101(acme, acme.partner_sales)
    api = client(
        acme, key_for(acme, acme.partner_admin, "partner_sales", ["deals:write", "learning:read"])
    )
    created = api.post(DEALS, deal_data(), format="json")
    assert created.status_code == 201, created.content
    assert api.get(DEALS).json()["results"][0]["id"] == created.json()["id"]
    assert api.get("/api/v1/courses/").status_code == 200
    assert api.get("/api/v1/mdf-requests/").status_code == 403


def test_the_default_key_reaches_all_its_role_allows_and_scopes_never_widen_a_role(acme):
    api = client(acme, key_for(acme, acme.partner_admin, "partner_sales"))
    assert api.get(DEALS).status_code == 200
    assert api.get("/api/v1/courses/").status_code == 200
    # A partner key with every scope is still a partner: the program's audit log is refused.
    assert api.get("/api/v1/audit-events/").status_code == 403
    assert ApiKey.objects.unscoped().get().scopes == ["*"]


def test_a_key_cannot_make_a_key_with_more_than_its_own_scopes(acme):
    admin_key = key_for(acme, acme.admin, "program_admin", ["account:write", "deals:read"])
    api = client(acme, admin_key)
    wider = api.post(
        "/api/v1/api-keys/",
        {"name": "Wider", "role": "executive", "scopes": ["deals:write"]},
        format="json",
    )
    assert wider.status_code == 400 and "scopes" in wider.json()
    everything = api.post("/api/v1/api-keys/", {"name": "All", "role": "executive"}, format="json")
    assert everything.status_code == 400  # the default, "*", is more than its own
    narrower = api.post(
        "/api/v1/api-keys/",
        {"name": "Reports", "role": "executive", "scopes": ["deals:read"]},
        format="json",
    )
    assert narrower.status_code == 201, narrower.content
    assert narrower.json()["scopes"] == ["deals:read"]
    unknown = api.post(
        "/api/v1/api-keys/",
        {"name": "Odd", "role": "executive", "scopes": ["deals:delete"]},
        format="json",
    )
    assert unknown.status_code == 400
    assert ApiKey.objects.unscoped().count() == 2


def test_scopes_are_normalized():
    normalized = scopes.normalize(["deals:read", "deals:write", "learning:read"])
    assert sorted(normalized) == ["deals:write", "learning:read"]
    assert scopes.normalize(["deals:read", "*"]) == ["*"]
    assert scopes.allows(["deals:write"], "deals:read")
    assert not scopes.allows(["deals:read"], "deals:write")
    assert not scopes.covers(["deals:read"], ["*"])


def test_the_console_makes_a_scoped_key_and_shows_its_access_in_words(acme):
    client_ = acme.client(acme.admin)
    url = reverse("console_api_keys")
    answer = client_.post(
        url,
        {"name": "BI export", "role": "executive", "scopes": ["deals:read", "analytics:read"]},
    )
    assert answer.status_code == 200, answer.content
    key = ApiKey.objects.unscoped().get()
    assert sorted(key.scopes) == ["analytics:read", "deals:read"]
    text = client_.get(url).content.decode()
    assert "Deal registration: read" in text and "Analytics: read" in text
    audit = AuditEvent.objects.unscoped().get(action="api_key.created")
    assert sorted(audit.changes["scopes"]) == ["analytics:read", "deals:read"]
    with tenant_context(acme.tenant), pytest.raises(ValidationError):
        services.api_key_create(
            actor=acme.actor(acme.admin), name="X", role="executive", scopes=["nope:read"]
        )


def test_the_form_says_when_everything_and_some_areas_are_both_ticked(acme):
    answer = acme.client(acme.admin).post(
        reverse("console_api_keys"),
        {"name": "Mixed", "role": "executive", "scopes": ["*", "deals:read"]},
    )
    assert answer.status_code == 400
    assert "Untick" in str(answer.context["form"].errors["scopes"])
    assert not ApiKey.objects.unscoped().exists()


def test_a_partner_admins_key_makes_a_key_for_its_own_organisation(acme):
    api = client(acme, key_for(acme, acme.partner_admin, "partner_admin"))
    made = api.post(
        "/api/v1/api-keys/",
        {"name": "Deals sync", "role": "partner_sales", "scopes": ["deals:write"]},
        format="json",
    )
    assert made.status_code == 201, made.content
    key = ApiKey.objects.unscoped().get(name="Deals sync")
    assert key.partner_organization_id == acme.partner.pk and key.scopes == ["deals:write"]
