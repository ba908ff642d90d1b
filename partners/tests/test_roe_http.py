"""Rules of engagement over HTTP: console, portal, public page and API, each with the
owner / wrong-role (403) / other-tenant (404) trio, and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from partners.models import RoeAcceptance, RulesOfEngagement
from partners.services.roe import roe_accept, roe_draft_create, roe_publish
from partners.tests.factories import PartnerOrganizationFactory
from tenancy import services as tenancy_services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def make_rules(
    world, *, title="Rules", body="## Registration\n\nFirst to register wins.", publish=True
):
    with tenant_context(world.tenant):
        admin = actor_for_user(world.admin, world.tenant)
        rules = roe_draft_create(actor=admin, title=title, body=body)
        if publish:
            rules = roe_publish(actor=admin, rules=rules, notify=False)
    return rules


def accept(world, user, rules):
    with tenant_context(world.tenant):
        return roe_accept(actor=actor_for_user(user, world.tenant), rules=rules)


def detail_url(rules):
    return reverse("console_roe_detail", kwargs={"rules_uuid": rules.uuid})


# --- Console -------------------------------------------------------------------------------------


def test_console_lists_versions_of_own_tenant_only(acme, globex):
    mine = make_rules(acme, title="Acme rules")
    make_rules(globex, title="Globex rules")
    response = acme.client(acme.admin).get(reverse("console_roe"))
    assert response.status_code == 200
    assert [r.title for r in response.context["versions"]] == [mine.title]
    assert response.context["form"] is not None


def test_console_rules_are_read_only_for_executives_and_closed_to_others(acme):
    make_rules(acme)
    response = acme.client(acme.executive).get(reverse("console_roe"))
    assert response.status_code == 200 and response.context["form"] is None
    for user in (acme.sales, acme.partner_admin):
        assert acme.client(user).get(reverse("console_roe")).status_code == 403


def test_admin_creates_a_draft_and_executive_may_not(acme):
    data = {"title": "Channel rules", "body": "# Hello", "change_summary": "First"}
    response = acme.client(acme.admin).post(reverse("console_roe"), data)
    with tenant_context(acme.tenant):
        rules = RulesOfEngagement.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(rules)
    assert rules.published_at is None and rules.change_summary == "First"
    assert acme.client(acme.executive).post(reverse("console_roe"), data).status_code == 403
    with tenant_context(acme.tenant):
        assert RulesOfEngagement.objects.count() == 1


def test_invalid_draft_shows_errors_and_keeps_input(acme):
    response = acme.client(acme.admin).post(
        reverse("console_roe"), {"title": "Kept title", "body": ""}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["body"]
    assert b"Kept title" in response.content


def test_draft_detail_edit_and_preview(acme, globex):
    rules = make_rules(acme, publish=False)
    client = acme.client(acme.admin)
    assert client.get(detail_url(rules)).status_code == 200
    response = client.post(detail_url(rules), {"title": "Edited", "body": "Edited body"})
    assert response.status_code == 302
    rules.refresh_from_db()
    assert rules.title == "Edited"
    # Drafts are not shown to read-only roles; published versions are.
    assert acme.client(acme.executive).get(detail_url(rules)).status_code == 404
    assert acme.client(acme.executive).post(detail_url(rules), {}).status_code == 403
    assert acme.client(acme.partner_admin).get(detail_url(rules)).status_code == 403
    assert client.get(detail_url(make_rules(globex))).status_code == 404

    preview = client.post(
        reverse("console_roe_preview"), {"body": "**ok** <script>alert(1)</script>"}
    )
    assert preview.status_code == 200
    assert b"<strong>ok</strong>" in preview.content and b"<script" not in preview.content
    assert acme.client(acme.executive).post(reverse("console_roe_preview")).status_code == 403


def test_publish_from_console(acme, globex, django_capture_on_commit_callbacks, mailoutbox):
    rules = make_rules(acme, publish=False)
    url = reverse("console_roe_publish", kwargs={"rules_uuid": rules.uuid})
    assert acme.client(acme.executive).post(url).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = acme.client(acme.admin).post(url)
    assert response.status_code == 302
    rules.refresh_from_db()
    assert rules.published_at is not None and rules.version == 1
    assert len(mailoutbox) == 2
    other = make_rules(globex, publish=False)
    assert (
        acme.client(acme.admin)
        .post(reverse("console_roe_publish", kwargs={"rules_uuid": other.uuid}))
        .status_code
        == 404
    )


def test_console_shows_who_accepted_and_who_has_not(acme):
    rules = make_rules(acme)
    accept(acme, acme.partner_admin, rules)
    response = acme.client(acme.executive).get(detail_url(rules))
    overview = response.context["overview"]
    assert [(a.partner, a.user) for a in overview.accepted] == [(acme.partner, acme.partner_admin)]
    assert [m.user for m in overview.pending] == [acme.other_partner_admin]
    assert acme.partner_admin.email.encode() in response.content


def test_acceptance_overview_query_count_is_flat(acme):
    rules = make_rules(acme)
    accept(acme, acme.partner_admin, rules)
    client = acme.client(acme.admin)

    def count(url) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    before = count(detail_url(rules)), count(reverse("console_roe"))
    for index in range(8):
        org = PartnerOrganizationFactory(tenant=acme.tenant)
        admin_membership = MembershipFactory(
            tenant=acme.tenant, role=Role.PARTNER_ADMIN, partner_organization=org
        )
        MembershipFactory(tenant=acme.tenant, role=Role.PARTNER_ADMIN, partner_organization=org)
        if index % 2 == 0:
            accept(acme, admin_membership.user, rules)
    make_rules(acme, title="Another draft", publish=False)
    assert (count(detail_url(rules)), count(reverse("console_roe"))) == before


# --- Portal --------------------------------------------------------------------------------------


def test_partner_admin_sees_accept_and_accepts(acme):
    rules = make_rules(acme)
    client = acme.client(acme.partner_admin)
    response = client.get(reverse("portal_roe"))
    assert response.status_code == 200
    accept_url = reverse("portal_roe_accept", kwargs={"rules_uuid": rules.uuid})
    assert accept_url.encode() in response.content
    assert b"First to register wins" in response.content
    response = client.post(accept_url, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        acceptance = RoeAcceptance.objects.get()
    assert (acceptance.user, acceptance.partner, acceptance.ip_address) == (
        acme.partner_admin,
        acme.partner,
        "198.51.100.7",
    )
    client.post(accept_url)  # a second click changes nothing
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.count() == 1
    assert accept_url.encode() not in client.get(reverse("portal_roe")).content


def test_partner_sales_reads_and_sees_whether_their_org_accepted_but_cannot_accept(acme):
    rules = make_rules(acme)
    client = acme.client(acme.partner_sales)
    response = client.get(reverse("portal_roe"))
    accept_url = reverse("portal_roe_accept", kwargs={"rules_uuid": rules.uuid})
    assert response.status_code == 200 and accept_url.encode() not in response.content
    assert b"has not accepted this version yet" in response.content
    assert client.post(accept_url).status_code == 403
    accept(acme, acme.partner_admin, rules)
    response = client.get(reverse("portal_roe"))
    assert b"Your organization accepted this version" in response.content
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.count() == 1


def test_portal_rules_are_closed_to_vendor_staff_and_other_tenants_rules_are_404(acme, globex):
    assert acme.client(acme.admin).get(reverse("portal_roe")).status_code == 403
    theirs = make_rules(globex)
    response = acme.client(acme.partner_admin).post(
        reverse("portal_roe_accept", kwargs={"rules_uuid": theirs.uuid})
    )
    assert response.status_code == 404


def test_pending_banner_tag_shows_only_to_a_partner_admin_who_has_not_accepted(acme):
    from django.template import Context, Template
    from django.test import RequestFactory

    rules = make_rules(acme)
    template = Template("{% load roe_tags %}{% roe_pending_banner %}")

    def render(user) -> str:
        request = RequestFactory().get("/portal/", HTTP_HOST=acme.host())
        request.tenant, request.user = acme.tenant, user
        with tenant_context(acme.tenant):
            return template.render(Context({"request": request}))

    assert reverse("portal_roe") in render(acme.partner_admin)
    assert render(acme.partner_sales).strip() == ""
    accept(acme, acme.partner_admin, rules)
    assert render(acme.partner_admin).strip() == ""


# --- Public page ---------------------------------------------------------------------------------


def test_public_page_shows_the_current_version_without_login(acme):
    make_rules(acme, title="Old rules", body="Old text")
    make_rules(acme, title="New rules", body="New **text**")
    response = Client(HTTP_HOST=acme.host()).get(reverse("public_roe"))
    assert response.status_code == 200
    assert b"New rules" in response.content and b"New <strong>text</strong>" in response.content
    assert b"Old text" not in response.content
    old = Client(HTTP_HOST=acme.host()).get(reverse("public_roe_version", kwargs={"version": 1}))
    assert old.status_code == 200 and b"Old text" in old.content


def test_public_page_without_a_published_version_is_a_friendly_message(acme):
    make_rules(acme, publish=False, body="secret draft")
    response = Client(HTTP_HOST=acme.host()).get(reverse("public_roe"))
    assert response.status_code == 200
    assert b"have not been published yet" in response.content
    assert b"secret draft" not in response.content


def test_public_page_never_shows_drafts_or_another_tenants_versions(acme, globex):
    make_rules(acme)
    make_rules(globex)
    make_rules(globex, title="Globex v2")
    make_rules(acme, publish=False, title="Acme draft")
    client = Client(HTTP_HOST=acme.host())
    assert client.get(reverse("public_roe_version", kwargs={"version": 2})).status_code == 404
    assert client.post(reverse("public_roe")).status_code == 405
    assert Client(HTTP_HOST="127.0.0.1").get(reverse("public_roe")).status_code == 404


def test_public_page_sanitises_the_body(acme):
    make_rules(acme, body="<script>alert('x')</script>[go](javascript:alert(1))")
    content = Client(HTTP_HOST=acme.host()).get(reverse("public_roe")).content
    assert b"alert(" not in content and b"javascript:" not in content


# --- API -----------------------------------------------------------------------------------------


def test_api_lists_published_versions_to_members_and_drafts_to_managers(acme, globex):
    published = make_rules(acme)
    make_rules(acme, publish=False, title="Draft")
    make_rules(globex)
    partner = acme.api(acme.partner_sales).get("/api/v1/rules-of-engagement/").json()
    assert [r["id"] for r in partner["results"]] == [str(published.uuid)]
    assert partner["results"][0]["version"] == 1
    assert "<h2>Registration</h2>" in partner["results"][0]["body_html"]
    admin = acme.api(acme.admin).get("/api/v1/rules-of-engagement/").json()
    assert {r["status"] for r in admin["results"]} == {"draft", "published"}
    assert acme.api().get("/api/v1/rules-of-engagement/").status_code in (401, 403)


def test_api_retrieve_of_other_tenant_version_is_404(acme, globex):
    theirs = make_rules(globex)
    response = acme.api(acme.admin).get(f"/api/v1/rules-of-engagement/{theirs.uuid}/")
    assert response.status_code == 404


def test_api_create_draft_and_publish(acme, globex, django_capture_on_commit_callbacks, mailoutbox):
    api = acme.api(acme.admin)
    created = api.post(
        "/api/v1/rules-of-engagement/", {"title": "API rules", "body": "# Hi"}, format="json"
    )
    assert created.status_code == 201 and created.json()["status"] == "draft"
    rules_id = created.json()["id"]
    patched = api.patch(
        f"/api/v1/rules-of-engagement/{rules_id}/", {"title": "Renamed"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["title"] == "Renamed"
    assert (
        acme.api(acme.executive)
        .post(f"/api/v1/rules-of-engagement/{rules_id}/publish/")
        .status_code
        == 403
    )
    assert (
        acme.api(acme.executive)
        .post("/api/v1/rules-of-engagement/", {"title": "x", "body": "y"}, format="json")
        .status_code
        == 403
    )
    with django_capture_on_commit_callbacks(execute=True):
        published = api.post(f"/api/v1/rules-of-engagement/{rules_id}/publish/")
    assert published.status_code == 200
    assert published.json()["version"] == 1 and published.json()["status"] == "published"
    assert len(mailoutbox) == 2
    again = api.post(f"/api/v1/rules-of-engagement/{rules_id}/publish/")
    assert again.status_code == 400 and "already published" in str(again.json())
    theirs = make_rules(globex, publish=False)
    assert api.post(f"/api/v1/rules-of-engagement/{theirs.uuid}/publish/").status_code == 404


def test_api_accept_by_partner_admin_once_and_refused_to_partner_sales(acme, globex):
    rules = make_rules(acme)
    url = f"/api/v1/rules-of-engagement/{rules.uuid}/accept/"
    first = acme.api(acme.partner_admin).post(url)
    assert first.status_code == 201
    body = first.json()
    assert body["version"] == 1 and body["user"] == acme.partner_admin.email
    assert body["partner"] == str(acme.partner.uuid)
    assert acme.api(acme.partner_admin).post(url).status_code == 200
    assert acme.api(acme.partner_sales).post(url).status_code == 403
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.count() == 1
    theirs = make_rules(globex)
    response = acme.api(acme.partner_admin).post(
        f"/api/v1/rules-of-engagement/{theirs.uuid}/accept/"
    )
    assert response.status_code == 404


def test_api_key_cannot_accept_on_behalf_of_a_person(acme):
    rules = make_rules(acme)
    with tenant_context(acme.tenant):
        _, plaintext = tenancy_services.api_key_create(
            actor=actor_for_user(acme.partner_admin, acme.tenant),
            name="crm",
            role=Role.PARTNER_ADMIN,
            partner_organization=acme.partner,
        )
    client = APIClient(HTTP_HOST=acme.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    response = client.post(f"/api/v1/rules-of-engagement/{rules.uuid}/accept/")
    assert response.status_code == 403


def test_api_list_query_count_is_flat(acme):
    make_rules(acme)
    api = acme.api(acme.admin)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert api.get("/api/v1/rules-of-engagement/").status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for n in range(5):
        make_rules(acme, title=f"v{n}")
    assert count() == before
