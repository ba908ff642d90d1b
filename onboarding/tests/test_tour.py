"""The first-login portal tour, server side: the page's start flag comes from TourState, the
"seen" endpoint records it; plus every page of this area refuses a member of another tenant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from onboarding.models import TourState
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

SEEN = "/portal/tour/seen/"


def tour_root(body: str) -> str:
    start = body.index('id="portal-tour"')
    return body[start : body.index(">", start)]


def test_url_name():
    assert reverse("portal_tour_seen") == SEEN


def test_partner_user_gets_the_tour_until_it_is_marked_seen(acme):
    client = acme.client(acme.partner_sales)
    body = client.get(reverse("portal_home")).content.decode()
    assert 'data-autostart="true"' in tour_root(body)
    assert f'data-seen-url="{SEEN}"' in tour_root(body)
    assert "vendor/driver.js/driver.js.iife.js" in body and "js/portal-tour.js" in body
    assert 'id="portal-tour-steps"' in body and "data-tour-replay" in body

    response = client.post(SEEN)
    assert response.status_code == 204
    assert client.post(SEEN).status_code == 204  # idempotent
    with tenant_context(acme.tenant):
        assert TourState.objects.filter(user=acme.partner_sales).count() == 1
    body = client.get(reverse("portal_home")).content.decode()
    assert 'data-autostart="false"' in tour_root(body)
    # Another user of the same organisation still gets it.
    body = acme.client(acme.partner_admin).get(reverse("portal_home")).content.decode()
    assert 'data-autostart="true"' in tour_root(body)


def test_tour_starts_by_itself_only_on_the_home_page(acme):
    """Login lands on the home page; a deep link (e.g. a course from an email) is not covered."""
    client = acme.client(acme.partner_sales)
    body = client.get(reverse("portal_onboarding")).content.decode()
    assert 'data-autostart="false"' in tour_root(body)
    assert "data-tour-replay" in body  # still replayable there
    body = client.get(reverse("portal_home")).content.decode()
    assert 'data-autostart="true"' in tour_root(body)


def test_vendor_pages_have_no_tour(acme):
    body = acme.client(acme.executive).get(reverse("console_home")).content.decode()
    assert 'id="portal-tour"' not in body


def test_nav_items_carry_stable_tour_targets(acme):
    body = acme.client(acme.partner_sales).get(reverse("portal_home")).content.decode()
    assert 'data-tour="portal_learning"' in body and 'data-tour="portal_assets"' in body
    assert 'data-tour-group="portal_learning portal_sessions portal_certifications"' in body
    assert 'data-tour="help"' in body


def test_seen_endpoint_needs_post_and_a_portal_user(acme):
    assert acme.client(acme.partner_sales).get(SEEN).status_code == 405
    assert acme.client(acme.admin).post(SEEN).status_code == 403
    with tenant_context(acme.tenant):
        assert not TourState.objects.exists()


def test_seen_is_recorded_per_tenant(acme, globex):
    acme.client(acme.partner_sales).post(SEEN)
    # A member of another tenant on acme's host is nobody here.
    assert acme.client(globex.partner_sales).post(SEEN).status_code == 403
    with tenant_context(globex.tenant):
        assert not TourState.objects.exists()
    body = globex.client(globex.partner_sales).get(reverse("portal_home")).content.decode()
    assert 'data-autostart="true"' in tour_root(body)


def test_seen_endpoint_checks_csrf(acme):
    from django.test import Client

    client = Client(HTTP_HOST=acme.host(), enforce_csrf_checks=True)
    client.force_login(acme.partner_sales)
    assert client.post(SEEN).status_code == 403
    client.get(reverse("portal_home"))
    token = client.cookies["csrftoken"].value
    assert client.post(SEEN, HTTP_X_CSRFTOKEN=token).status_code == 204


@pytest.mark.parametrize(
    "name",
    [
        "portal_onboarding",
        "portal_setup_wizard",
        "portal_deals",
        "portal_deal_register",
        "console_onboarding_funnel",
        "console_onboarding_gates",
        "console_deals",
    ],
)
def test_member_of_another_tenant_is_refused_on_every_page(acme, globex, name):
    for user in (globex.admin, globex.partner_admin):
        assert acme.client(user).get(reverse(name)).status_code == 403
