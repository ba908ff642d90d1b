"""The tenant-by-host cache (tenancy/hosts.py): a lookup costs no query once cached, and no change
to a tenant — renamed, slug or domain changed, disabled, deleted — is ever answered stale."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tenancy.hosts import GENERATION_KEY, UnknownHost, tenant_for_host
from tenancy.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tenant(settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "partners.initech.com"]
    tenant = TenantFactory(slug="initech", name="Initech", custom_domain="partners.initech.com")
    # cached under both of its names
    assert tenant_for_host("initech.localhost") == tenant
    assert tenant_for_host("partners.initech.com:443") == tenant
    return tenant


def test_a_cached_host_costs_no_query(tenant, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert tenant_for_host("initech.localhost:8000") == tenant
        assert tenant_for_host("partners.initech.com") == tenant


def test_each_host_is_answered_with_its_own_tenant(tenant):
    other = TenantFactory(slug="hooli")
    assert tenant_for_host("hooli.localhost") == other
    assert tenant_for_host("initech.localhost") == tenant
    assert tenant_for_host("hooli.localhost") == other


def test_unknown_hosts_are_not_cached(django_assert_num_queries):
    for _ in range(2):
        with django_assert_num_queries(1), pytest.raises(UnknownHost):
            tenant_for_host("nobody.localhost")
    TenantFactory(slug="nobody")
    assert tenant_for_host("nobody.localhost").slug == "nobody"


def test_a_renamed_tenant_is_served_with_its_new_name(tenant, client):
    tenant.name = "Initrode"
    tenant.save()
    assert tenant_for_host("initech.localhost").name == "Initrode"


def test_a_changed_slug_leaves_the_old_host_unknown(tenant):
    tenant.slug = "initrode"
    tenant.save()
    with pytest.raises(UnknownHost):
        tenant_for_host("initech.localhost")
    assert tenant_for_host("initrode.localhost") == tenant


def test_a_changed_custom_domain_leaves_the_old_domain_unknown(tenant):
    tenant.custom_domain = "partners.initrode.com"
    tenant.save()
    with pytest.raises(UnknownHost):
        tenant_for_host("partners.initech.com")
    assert tenant_for_host("partners.initrode.com") == tenant
    tenant.custom_domain = None
    tenant.save(update_fields=["custom_domain"])
    with pytest.raises(UnknownHost):
        tenant_for_host("partners.initrode.com")


def test_a_disabled_tenant_is_unknown_at_once(tenant, client):
    tenant.is_active = False
    tenant.save(update_fields=["is_active"])
    with pytest.raises(UnknownHost):
        tenant_for_host("initech.localhost")
    assert client.get("/", HTTP_HOST="initech.localhost").status_code == 404
    assert client.get("/", HTTP_HOST="partners.initech.com").status_code == 404


def test_a_deleted_tenant_is_unknown_at_once(tenant, client):
    tenant.delete()
    with pytest.raises(UnknownHost):
        tenant_for_host("initech.localhost")
    assert client.get("/", HTTP_HOST="partners.initech.com").status_code == 404


def test_an_entry_cached_from_the_old_row_before_the_commit_is_refused_after_it(
    tenant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tenant.is_active = False
        tenant.save(update_fields=["is_active"])
        # Another request read the row before this transaction committed and cached it under
        # the generation current at that moment.
        stale = TenantFactory.build(pk=tenant.pk, slug="initech", is_active=True)
        cache.set("tenancy:host:initech.localhost", (cache.get(GENERATION_KEY), stale))
        assert tenant_for_host("initech.localhost").is_active  # the race this guards against
    assert callbacks, "the invalidation must run again after the commit"
    for callback in callbacks:
        callback()
    with pytest.raises(UnknownHost):
        tenant_for_host("initech.localhost")


def test_a_cleared_cache_falls_back_to_the_database(tenant, django_assert_num_queries):
    cache.clear()
    with django_assert_num_queries(1):
        assert tenant_for_host("initech.localhost") == tenant
    with django_assert_num_queries(0):
        assert tenant_for_host("initech.localhost") == tenant


def test_a_world_client_of_a_disabled_tenant_is_made_and_answered_404(acme):
    """World.client() warms the host cache (conftest); a disabled tenant has nothing to warm."""
    acme.tenant.is_active = False
    acme.tenant.save(update_fields=["is_active"])
    assert acme.client(acme.admin).get("/").status_code == 404
    assert acme.api(acme.admin).get("/api/v1/deal-registrations/").status_code == 404
