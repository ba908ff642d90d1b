"""Sessions read from the cache (cached_db when Redis is configured), the database kept as the
durable store: signing out, a flushed session and a password change end them at once."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import reverse

from tenancy.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

cached_sessions = pytest.mark.skipif(
    not settings.REDIS_URL, reason="the embedded default keeps sessions in the database alone"
)


def page_url() -> str:
    return reverse("notification_preferences")


def signed_in(world, user) -> Client:
    client = world.client()
    assert client.login(email=user.email, password=PASSWORD)
    assert client.get(page_url()).status_code == 200
    return client


def same_session(world, client) -> Client:
    """A second browser holding a copy of `client`'s session cookie."""
    copy = world.client()
    copy.cookies[settings.SESSION_COOKIE_NAME] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return copy


def is_signed_out(client) -> bool:
    response = client.get(page_url())
    return response.status_code == 302 and response.url.startswith(resolve_url(settings.LOGIN_URL))


@cached_sessions
def test_sessions_are_cached_in_front_of_the_database_when_redis_is_configured(acme):
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.cached_db"
    client = signed_in(acme, acme.partner_sales)
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()  # durable
    assert client.session.cache_key in cache  # and read from the cache


def test_a_session_survives_a_cleared_cache(acme):
    client = signed_in(acme, acme.partner_sales)
    cache.clear()
    assert client.get(page_url()).status_code == 200


def test_signing_out_ends_the_session_in_every_browser_holding_it(acme):
    client = signed_in(acme, acme.partner_sales)
    copy = same_session(acme, client)
    key = client.session.session_key
    assert copy.get(page_url()).status_code == 200
    client.post(reverse("account_logout"))
    assert is_signed_out(copy)
    assert not Session.objects.filter(session_key=key).exists()


def test_a_flushed_session_is_gone_from_the_cache_and_the_database(acme):
    client = signed_in(acme, acme.partner_sales)
    copy = same_session(acme, client)
    session = client.session
    key = session.session_key
    session.flush()
    assert is_signed_out(copy)
    assert not Session.objects.filter(session_key=key).exists()


def test_a_password_change_signs_out_the_other_sessions_not_this_one(acme):
    user = acme.partner_sales
    client = signed_in(acme, user)
    elsewhere = signed_in(acme, user)
    old_copy = same_session(acme, client)
    response = client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "new-horse-battery-42",
            "password2": "new-horse-battery-42",
        },
    )
    assert response.status_code == 302
    assert client.get(page_url()).status_code == 200
    assert is_signed_out(elsewhere)
    assert is_signed_out(old_copy)  # the key was cycled: the old cookie no longer opens it
