"""Which tenant a host name belongs to, and the base URL of a tenant."""

from __future__ import annotations

from django.conf import settings

from .models import Tenant


class UnknownHost(LookupError):
    pass


def tenant_for_host(host: str) -> Tenant | None:
    """The active tenant serving `host` (port ignored); None for a platform host.

    Raises UnknownHost for a host that is neither: callers answer 404.
    """
    name = host.split(":", 1)[0].lower().rstrip(".")
    if name in settings.PRM_PLATFORM_HOSTS:
        return None
    suffix = "." + settings.PRM_BASE_DOMAIN
    if name.endswith(suffix):
        slug = name[: -len(suffix)]
        tenant = (
            Tenant.objects.filter(slug=slug, is_active=True).first() if "." not in slug else None
        )
    else:
        tenant = Tenant.objects.filter(custom_domain=name, is_active=True).first()
    if tenant is None:
        raise UnknownHost(name)
    return tenant


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
