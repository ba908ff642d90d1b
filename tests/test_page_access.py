"""A page's one access check: `require_console(request, *perms)` and `require_portal(request,
*perms)` — the actor on a tenant's host, 404 off it, 403 on the wrong surface or without a perm.
Directly and through pages of several apps (owner / wrong role / other tenant)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse

from partners.services.roe import roe_draft_create
from tenancy import access
from tenancy.access import Perm, actor_for_user
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def page_request(user, tenant):
    request = RequestFactory().get("/")
    request.user = user if user is not None else AnonymousUser()
    request.tenant = tenant
    return request


def test_console_member_with_the_perms_gets_their_actor(acme):
    with tenant_context(acme.tenant):
        actor = access.require_console(
            page_request(acme.admin, acme.tenant), Perm.PROGRAM_VIEW, Perm.PROGRAM_MANAGE
        )
    assert actor.user == acme.admin and actor.tenant == acme.tenant


def test_console_member_without_one_of_the_perms_is_refused(acme):
    with tenant_context(acme.tenant), pytest.raises(PermissionDenied):
        access.require_console(
            page_request(acme.executive, acme.tenant), Perm.PROGRAM_VIEW, Perm.PROGRAM_MANAGE
        )


def test_partner_users_are_refused_the_console_and_vendor_staff_the_portal(acme):
    with tenant_context(acme.tenant):
        with pytest.raises(PermissionDenied):
            access.require_console(page_request(acme.partner_admin, acme.tenant))
        with pytest.raises(PermissionDenied):
            access.require_portal(page_request(acme.admin, acme.tenant))
        request = page_request(acme.partner_admin, acme.tenant)
        actor = access.require_portal(request, Perm.ROE_ACCEPT)
        assert actor.partner_organization_id == acme.partner.pk
        with pytest.raises(PermissionDenied):
            access.require_portal(page_request(acme.partner_sales, acme.tenant), Perm.ROE_ACCEPT)


def test_another_tenants_member_is_refused(acme, globex):
    with tenant_context(acme.tenant):
        with pytest.raises(PermissionDenied):
            access.require_console(page_request(globex.admin, acme.tenant))
        with pytest.raises(PermissionDenied):
            access.require_portal(page_request(globex.partner_admin, acme.tenant))


def test_off_a_tenant_host_nothing_exists(acme):
    for check in (access.require_console, access.require_portal):
        with pytest.raises(Http404):
            check(page_request(acme.admin, None))


def test_the_views_re_export_is_the_same_function():
    from tenancy import views

    assert views.require_console is access.require_console
    assert views.require_portal is access.require_portal


# --- Through pages of several apps -------------------------------------------------------------

CONSOLE_PAGES = [
    # (url name, a role that may open it, a console role that may not)
    ("console_roe", "admin", "sales"),
    ("console_agreements", "executive", "sales"),
    ("console_learning", "manager", "sales"),
    ("console_disputes", "sales", None),
    ("console_onboarding_runs", "manager", "sales"),
]
PORTAL_PAGES = [
    # (url name, a partner role that may open it, a partner role that may not)
    ("portal_roe", "partner_sales", None),
    ("portal_learning", "partner_marketing", None),
    ("portal_deals", "partner_sales", "partner_marketing"),
    ("portal_disputes", "partner_admin", "partner_marketing"),
]


@pytest.mark.parametrize(("name", "allowed", "refused"), CONSOLE_PAGES)
def test_console_pages_owner_wrong_role_and_other_tenant(acme, globex, name, allowed, refused):
    url = reverse(name)
    assert acme.client(getattr(acme, allowed)).get(url).status_code == 200
    assert acme.client(acme.partner_admin).get(url).status_code == 403
    if refused:
        assert acme.client(getattr(acme, refused)).get(url).status_code == 403
    # Signed in at another tenant's host: not a member there.
    assert globex.client(getattr(acme, allowed)).get(url).status_code in (403, 404)


@pytest.mark.parametrize(("name", "allowed", "refused"), PORTAL_PAGES)
def test_portal_pages_owner_wrong_role_and_other_tenant(acme, globex, name, allowed, refused):
    url = reverse(name)
    assert acme.client(getattr(acme, allowed)).get(url).status_code == 200
    assert acme.client(acme.admin).get(url).status_code == 403
    if refused:
        assert acme.client(getattr(acme, refused)).get(url).status_code == 403
    assert globex.client(getattr(acme, allowed)).get(url).status_code in (403, 404)


def test_a_page_about_another_tenants_object_is_404(acme, globex):
    with tenant_context(globex.tenant):
        theirs = roe_draft_create(
            actor=actor_for_user(globex.admin, globex.tenant), title="Globex", body="x"
        )
    url = reverse("console_roe_detail", kwargs={"rules_uuid": theirs.uuid})
    assert acme.client(acme.admin).get(url).status_code == 404
