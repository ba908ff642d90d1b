"""Which tenant a host name belongs to, and the base URL of a tenant.

Every request asks tenant_for_host, so its answer is kept in the cache (Redis in production, the
shared file cache on the embedded default). WARNING: a cached tenant must never outlive a change:
each entry carries the generation it was read under, and any save or delete of a Tenant starts a
new generation (forget_tenant_hosts, connected in TenancyConfig.ready) — at once and again after
the commit, so an entry written by a request that read the old row mid-transaction is refused too.
Changes that bypass save() (QuerySet.update) must call forget_tenant_hosts() themselves.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from .models import Tenant

# A safety net only: entries are refused as soon as the generation moves.
TENANT_CACHE_SECONDS = 60 * 60
GENERATION_KEY = "tenancy:hosts:generation"


class UnknownHost(LookupError):
    pass


def tenant_for_host(host: str) -> Tenant | None:
    """The active tenant serving `host` (port ignored); None for a platform host.

    Raises UnknownHost for a host that is neither: callers answer 404.
    """
    name = host.split(":", 1)[0].lower().rstrip(".")
    if name in settings.PRM_PLATFORM_HOSTS:
        return None
    key = f"tenancy:host:{name}"
    found = cache.get_many([key, GENERATION_KEY])
    generation, entry = found.get(GENERATION_KEY), found.get(key)
    if generation is not None and entry is not None and entry[0] == generation:
        return entry[1]
    if generation is None:
        generation = _start_generation()
    tenant = _active_tenant_named(name)
    if tenant is None:
        # Unknown hosts are not cached: any name under the base domain reaches here.
        raise UnknownHost(name)
    cache.set(key, (generation, tenant), TENANT_CACHE_SECONDS)
    return tenant


def _active_tenant_named(name: str) -> Tenant | None:
    suffix = "." + settings.PRM_BASE_DOMAIN
    if name.endswith(suffix):
        slug = name[: -len(suffix)]
        if "." in slug:
            return None
        return Tenant.objects.filter(slug=slug, is_active=True).first()
    return Tenant.objects.filter(custom_domain=name, is_active=True).first()


def _start_generation() -> str:
    """The current generation, starting one when there is none (first use, cache cleared)."""
    token = uuid.uuid4().hex
    if cache.add(GENERATION_KEY, token, timeout=None):
        return token
    return cache.get(GENERATION_KEY) or token


def _new_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def forget_tenant_hosts(**kwargs) -> None:
    """post_save/post_delete receiver of Tenant: no host is answered from the cache as it was.

    Now, so this process sees the change at once, and after the commit, so an entry cached by a
    request that read the old row before the commit is refused as well."""
    _new_generation()
    transaction.on_commit(_new_generation)


def tenant_host(tenant: Tenant) -> str:
    return tenant.custom_domain or f"{tenant.slug}.{settings.PRM_BASE_DOMAIN}"


def tenant_base_url(tenant: Tenant) -> str:
    port = f":{settings.PRM_URL_PORT}" if settings.PRM_URL_PORT else ""
    return f"{settings.PRM_URL_SCHEME}://{tenant_host(tenant)}{port}"


def served_port_suffix(request) -> str:
    """The port suffix (":8101") when the request came in on an explicit port, else "".

    Read from the validated Host header, not SERVER_PORT: behind a proxy the server's own port is
    not the one people use."""
    host = request.get_host()
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    return f":{port}" if port else ""


def tenant_url_for_request(tenant: Tenant, request) -> str:
    """The tenant's address as seen from this request: same scheme, same port (`make run` on
    PORT=8101 links to acme.localhost:8101, not the configured default)."""
    return f"{request.scheme}://{tenant_host(tenant)}{served_port_suffix(request)}"
