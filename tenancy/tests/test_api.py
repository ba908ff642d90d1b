"""The REST API: keys, roles, JSON errors, pagination, throttling, schema."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import ApiKey, AuditEvent, Membership

pytestmark = pytest.mark.django_db


def make_key(world, role="program_admin", partner_organization=None, by=None):
    by = by or (world.partner_admin if partner_organization else world.admin)
    with tenant_context(world.tenant):
        return services.api_key_create(
            actor=actor_for_user(by, world.tenant),
            name="test",
            role=role,
            partner_organization=partner_organization,
        )


def key_client(plaintext, host):
    return APIClient(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def test_tenant_key_reads_memberships_of_its_tenant_only(acme, globex):
    _, plaintext = make_key(acme)
    response = key_client(plaintext, acme.host()).get("/api/v1/memberships/")
    assert response.status_code == 200
    emails = {m["email"] for m in response.json()["results"]}
    assert acme.admin.email in emails and globex.admin.email not in emails


def test_key_at_platform_host_works_in_its_own_tenant(acme):
    _, plaintext = make_key(acme, role="executive")
    response = key_client(plaintext, "127.0.0.1").get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "email": None,
        "tenant": "acme",
        "role": "executive",
        "partner_organization": None,
        "via_api_key": True,
    }


def test_key_of_tenant_a_cannot_read_tenant_b(acme, globex):
    _, plaintext = make_key(acme)
    response = key_client(plaintext, globex.host()).get("/api/v1/memberships/")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_revoked_and_garbage_keys_are_refused(acme):
    key, plaintext = make_key(acme)
    with tenant_context(acme.tenant):
        services.api_key_revoke(actor=actor_for_user(acme.admin, acme.tenant), key=key)
    assert key_client(plaintext, acme.host()).get("/api/v1/me/").status_code == 401
    assert key_client("prm_deadbeef_nope", acme.host()).get("/api/v1/me/").status_code == 401
    assert key_client(plaintext[:-2] + "xx", acme.host()).get("/api/v1/me/").status_code == 401


def test_keys_are_hashed_at_rest(acme):
    key, plaintext = make_key(acme)
    assert plaintext not in key.key_hash and key.key_hash == services.hash_api_key(plaintext)


def test_partner_key_sees_own_org_only(acme):
    _, plaintext = make_key(acme, role="partner_sales", partner_organization=acme.partner)
    client = key_client(plaintext, acme.host())
    orgs = client.get("/api/v1/partner-organizations/").json()["results"]
    assert [o["id"] for o in orgs] == [str(acme.partner.uuid)]
    emails = {m["email"] for m in client.get("/api/v1/memberships/").json()["results"]}
    assert acme.partner_sales.email in emails and acme.admin.email not in emails
    assert (
        client.get(f"/api/v1/partner-organizations/{acme.other_partner.uuid}/").status_code == 404
    )
    assert client.get("/api/v1/audit-events/").status_code == 403


def test_partner_admin_cannot_mint_key_for_another_org(acme):
    client = acme.api(acme.partner_admin)
    response = client.post(
        "/api/v1/api-keys/",
        {
            "name": "sneaky",
            "role": "partner_admin",
            "partner_organization": str(acme.other_partner.uuid),
        },
        format="json",
    )
    # The key is bound to the caller's own organisation whatever the payload says.
    assert response.status_code == 201
    with tenant_context(acme.tenant):
        assert ApiKey.objects.get(name="sneaky").partner_organization == acme.partner


def test_api_key_create_returns_secret_once(acme):
    client = acme.api(acme.admin)
    response = client.post(
        "/api/v1/api-keys/", {"name": "CRM sync", "role": "channel_manager"}, format="json"
    )
    assert response.status_code == 201
    secret = response.json()["key"]
    assert key_client(secret, acme.host()).get("/api/v1/me/").json()["role"] == "channel_manager"
    listing = client.get("/api/v1/api-keys/").json()["results"]
    assert all("key" not in k for k in listing)


def test_executive_api_is_read_only(acme):
    client = acme.api(acme.executive)
    assert client.get("/api/v1/memberships/").status_code == 200
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.sales)
    response = client.patch(
        f"/api/v1/memberships/{target.uuid}/", {"role": "program_admin"}, format="json"
    )
    assert response.status_code == 403 and "detail" in response.json()
    assert (
        client.post(
            "/api/v1/invitations/", {"email": "a@b.test", "role": "marketing"}, format="json"
        ).status_code
        == 403
    )
    with tenant_context(acme.tenant):
        assert Membership.objects.get(pk=target.pk).role == "direct_sales"


def test_admin_changes_role_over_api_and_bad_input_is_400_json(acme):
    client = acme.api(acme.admin)
    with tenant_context(acme.tenant):
        target = Membership.objects.get(user=acme.sales)
    url = f"/api/v1/memberships/{target.uuid}/"
    bad = client.patch(url, {"role": "emperor"}, format="json")
    assert bad.status_code == 400 and "role" in bad.json()
    wrong_side = client.patch(url, {"role": "partner_sales"}, format="json")
    assert wrong_side.status_code == 400 and "partner_organization" in wrong_side.json()
    ok = client.patch(url, {"role": "marketing"}, format="json")
    assert ok.status_code == 200 and ok.json()["role"] == "marketing"
    with tenant_context(acme.tenant):
        assert (
            AuditEvent.objects.filter(action="membership.role_changed", actor=acme.admin).count()
            == 1
        )


def test_partner_sales_cannot_manage_users_over_api(acme):
    client = acme.api(acme.partner_sales)
    with tenant_context(acme.tenant):
        colleague = Membership.objects.get(user=acme.partner_presales)
    response = client.patch(
        f"/api/v1/memberships/{colleague.uuid}/", {"is_active": False}, format="json"
    )
    assert response.status_code == 403
    response = client.post(
        "/api/v1/invitations/", {"email": "a@b.test", "role": "partner_sales"}, format="json"
    )
    assert response.status_code == 403


def test_anonymous_api_call_is_refused_with_json(acme):
    response = APIClient(HTTP_HOST=acme.host()).get("/api/v1/memberships/")
    assert response.status_code in (401, 403) and response.json()["detail"]


def test_unknown_api_route_is_json_404(acme):
    response = acme.api(acme.admin).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


def test_every_list_pages_by_cursor_in_its_own_order(acme):
    """Memberships (newest first): pages of 3 by cursor, each row once, no count."""
    api = acme.api(acme.admin)
    body = api.get("/api/v1/memberships/?page_size=3").json()
    assert "count" not in body and body["previous"] is None
    assert len(body["results"]) == 3 and "cursor=" in body["next"]
    seen = [row["id"] for row in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        seen += [row["id"] for row in body["results"]]
    expected = Membership.objects.unscoped().filter(tenant=acme.tenant)
    assert len(seen) == len(set(seen)) == expected.count()
    back = api.get(body["previous"]).json() if body["previous"] else None
    assert back is None or len(back["results"]) == 3
    assert api.get("/api/v1/memberships/?cursor=bogus").status_code == 400


def test_throttling_answers_429(acme, monkeypatch):
    from tenancy.api.throttling import PrincipalRateThrottle

    # Patch the class attribute only: settings-based reloading leaked a 3/min rate into later tests.
    monkeypatch.setattr(PrincipalRateThrottle, "THROTTLE_RATES", {"principal": "3/min"})
    _, plaintext = make_key(acme)
    client = key_client(plaintext, acme.host())
    codes = [client.get("/api/v1/me/").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    assert client.get("/api/v1/me/").json()["detail"]


def test_schema_lists_endpoints_and_bearer_auth(client):
    response = client.get(
        reverse("api-schema"), HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    schema = response.json()
    for path in (
        "/api/v1/memberships/",
        "/api/v1/api-keys/",
        "/api/v1/partner-organizations/",
        "/api/v1/me/",
    ):
        assert path in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"


def test_docs_page_serves_swagger_from_local_static(client):
    response = client.get(reverse("api-docs"), HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html and "cdn" not in html.lower()


def test_the_cursor_follows_each_lists_own_order(acme):
    from django.db.models import F

    from dealreg.models import DealRegistration
    from partners.models import PartnerOrganization
    from tenancy.api.pagination import CursorPagination

    def ordering(queryset):
        return CursorPagination.ordering_for(queryset, view=None)

    with tenant_context(acme.tenant):
        partners = PartnerOrganization.objects.all()
        deals = DealRegistration.objects.all()
        assert ordering(partners.order_by("name")) == (("name", "uuid"), True)
        newest = (("-created_at", "-uuid"), True)
        assert ordering(deals.order_by("-created_at", "-id")) == newest
        assert ordering(deals.order_by("-id")) == newest
        assert ordering(deals.order_by("partner__name", "-created_at")) == (
            ("partner__name", "-created_at", "uuid"),
            True,
        )
        # Nullable or an expression: no keyset; the list pages by position in its own order.
        assert ordering(partners.order_by("-ipp_score"))[1] is False
        expression = partners.order_by(F("ipp_score").desc(nulls_last=True))
        assert ordering(expression)[1] is False


def test_a_list_the_keyset_cannot_follow_pages_by_position_in_its_order(acme):
    from partners.tests.factories import PartnerOrganizationFactory

    for n in range(5):
        PartnerOrganizationFactory(tenant=acme.tenant, name=f"Scored {n}", ipp_score=10 * n + 5)
    api = acme.api(acme.admin)
    body = api.get("/api/v1/partner-organizations/", {"sort": "-score", "page_size": 2}).json()
    names = [row["name"] for row in body["results"]]
    while body["next"]:
        body = api.get(body["next"]).json()
        names += [row["name"] for row in body["results"]]
    assert names[:5] == [f"Scored {n}" for n in (4, 3, 2, 1, 0)]
    assert len(names) == len(set(names)) == 7  # and the two unscored partners, last
    back = api.get(body["previous"]).json()
    assert [row["name"] for row in back["results"]] == names[4:6]
    assert api.get("/api/v1/partner-organizations/", {"cursor": "WyJwIiwgLTFd"}).status_code == 400
