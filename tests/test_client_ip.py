"""The client's IP behind reverse proxies: one rule (tenancy.network.client_ip) with a configured
count of trusted proxies, used by every rate limit, the audit log and acceptance records.

A proxy appends the address it received the request from to X-Forwarded-For; so with N trusted
proxies the client is the N-th entry from the right, and anything further left (typed by the
client) is never believed. With no trusted proxy the header is ignored altogether."""

from __future__ import annotations

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from onboarding.models import AgreementSignature
from onboarding.tests.test_agreements_services import approve, publish
from partners.models import Application, RoeAcceptance
from partners.services.roe import roe_draft_create, roe_publish
from partners.tests.test_recruitment import form_data
from tenancy.access import actor_for_user
from tenancy.api.throttling import PrincipalRateThrottle
from tenancy.context import tenant_context
from tenancy.models import AuditEvent
from tenancy.network import client_ip
from tenancy.tests.factories import PASSWORD

PROXY = "10.0.0.5"  # what REMOTE_ADDR is for every request behind the proxy


def ip_of(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


# --- The rule ------------------------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 0
    assert ip_of("203.0.113.9", "198.51.100.1") == "203.0.113.9"


def test_one_trusted_proxy_gives_the_address_it_appended(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    assert ip_of(PROXY, "198.51.100.1") == "198.51.100.1"


def test_spoofed_leftmost_entries_are_ignored(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    assert ip_of(PROXY, "1.1.1.1, 8.8.8.8, 198.51.100.1") == "198.51.100.1"


def test_two_trusted_proxies_take_the_second_entry_from_the_right(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 2
    # client → CDN (appends client) → nginx (appends CDN) → app
    assert ip_of(PROXY, "6.6.6.6, 198.51.100.1, 192.0.2.10") == "198.51.100.1"


def test_never_trusts_more_hops_than_configured(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    # Only the rightmost entry was written by our one proxy; the one before is the client's claim.
    assert ip_of(PROXY, "198.51.100.1, 192.0.2.10") == "192.0.2.10"


def test_fewer_entries_than_proxies_uses_the_leftmost_which_a_trusted_proxy_wrote(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 2
    assert ip_of(PROXY, "198.51.100.1") == "198.51.100.1"


def test_no_header_or_garbage_falls_back_to_the_connection(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    assert ip_of(PROXY) == PROXY
    assert ip_of(PROXY, "not-an-ip") == PROXY


def test_ports_and_ipv6_are_normalised(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    assert ip_of(PROXY, "198.51.100.1:51234") == "198.51.100.1"
    assert ip_of(PROXY, "[2001:db8::1]:443") == "2001:db8::1"
    assert ip_of(PROXY, "2001:DB8:0::2") == "2001:db8::2"


def test_allauth_reads_the_same_count():
    from allauth import app_settings
    from django.conf import settings

    assert app_settings.TRUSTED_PROXY_COUNT == settings.PRM_TRUSTED_PROXY_COUNT


# --- Rate limits ---------------------------------------------------------------------------------


def apply_from(world, forwarded: str, i: int):
    client = Client(HTTP_HOST=world.host(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)
    data = form_data(company_name=f"Company {forwarded} {i}", website=f"https://c{i}.example")
    data["contact_email"] = f"c{i}@c{i}.example"
    return client.post("/apply/", data)


@pytest.mark.django_db
def test_application_limit_counts_each_client_behind_the_proxy(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    codes = [apply_from(acme, "198.51.100.1", i).status_code for i in range(6)]
    assert codes[-1] == 429 and 429 not in codes[:5]
    # Another visitor through the same proxy is not locked out by the first one.
    assert apply_from(acme, "198.51.100.2", 99).status_code != 429
    with tenant_context(acme.tenant):
        assert set(Application.objects.values_list("ip_address", flat=True)) == {
            "198.51.100.1",
            "198.51.100.2",
        }


@pytest.mark.django_db
def test_a_spoofed_forwarded_for_does_not_escape_the_application_limit(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    codes = [apply_from(acme, f"10.9.9.{i}, 198.51.100.1", i).status_code for i in range(6)]
    assert codes[-1] == 429


@pytest.mark.django_db
def test_without_a_trusted_count_forwarded_for_cannot_buy_more_applications(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 0
    codes = [apply_from(acme, f"198.51.100.{i}", i).status_code for i in range(6)]
    assert codes[-1] == 429


@pytest.mark.django_db
def test_login_limit_locks_out_the_client_not_everyone_behind_the_proxy(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    attacker = Client(HTTP_HOST=acme.host(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="6.6.6.6")
    for i in range(11):  # allauth: 10 failed logins a minute per IP (each a different account)
        attacker.post(reverse("account_login"), {"login": f"nobody{i}@x.test", "password": "wrong"})
    response = attacker.post(
        reverse("account_login"), {"login": acme.manager.email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in attacker.session and response.status_code in (200, 429)
    colleague = Client(
        HTTP_HOST=acme.host(), REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    colleague.post(reverse("account_login"), {"login": acme.sales.email, "password": PASSWORD})
    assert colleague.session.get("_auth_user_id") == str(acme.sales.pk)


def test_api_throttle_counts_anonymous_calls_per_client(settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    throttle = PrincipalRateThrottle()

    def key(forwarded):
        request = RequestFactory().get(
            "/api/v1/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded
        )
        request.user = None
        return throttle.get_cache_key(request, view=None)

    assert key("198.51.100.1") != key("198.51.100.2")
    assert key("1.2.3.4, 198.51.100.1") == key("198.51.100.1")
    assert "198.51.100.1" in key("198.51.100.1")


# --- Evidence: acceptances, signatures, audit log -------------------------------------------------


def published_rules(world):
    with tenant_context(world.tenant):
        admin = actor_for_user(world.admin, world.tenant)
        rules = roe_draft_create(actor=admin, title="Rules", body="First to register wins.")
        return roe_publish(actor=admin, rules=rules, notify=False)


@pytest.mark.django_db
def test_roe_acceptance_records_the_client_behind_the_proxy(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    rules = published_rules(acme)
    client = acme.client(acme.partner_admin)
    url = reverse("portal_roe_accept", kwargs={"rules_uuid": rules.uuid})
    response = client.post(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.7")
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.get().ip_address == "198.51.100.7"
        event = AuditEvent.objects.get(action__startswith="roe.", action__contains="accept")
    assert event.ip_address == "198.51.100.7"


@pytest.mark.django_db
def test_roe_acceptance_through_the_api_records_the_client(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    rules = published_rules(acme)
    api = acme.api(acme.partner_admin)
    response = api.post(
        f"/api/v1/rules-of-engagement/{rules.uuid}/accept/",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.8",
    )
    assert response.status_code in (200, 201), response.content
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.get().ip_address == "198.51.100.8"


@pytest.mark.django_db
def test_without_a_trusted_count_the_acceptance_records_the_connection(acme, settings):
    settings.PRM_TRUSTED_PROXY_COUNT = 0
    rules = published_rules(acme)
    url = reverse("portal_roe_accept", kwargs={"rules_uuid": rules.uuid})
    acme.client(acme.partner_admin).post(
        url, REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.7"
    )
    with tenant_context(acme.tenant):
        assert RoeAcceptance.objects.get().ip_address == "203.0.113.5"


@pytest.mark.django_db
def test_agreement_signature_records_the_client_behind_the_proxy(acme, settings, tmp_path):
    settings.PRM_TRUSTED_PROXY_COUNT = 1
    settings.MEDIA_ROOT = tmp_path
    approve(acme.partner)
    publish(acme)
    response = acme.client(acme.partner_admin).post(
        reverse("portal_agreement"),
        {"signer_name": "Pat Signer", "signer_title": "CEO", "agree": "on"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.4",
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        assert AgreementSignature.objects.get().ip_address == "198.51.100.4"
