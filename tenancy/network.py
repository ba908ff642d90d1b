"""The client's IP address, the one way: rate limits, the audit log and acceptance records."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _parse(value: str | None) -> str | None:
    """A bare IP from an address as proxies write it ("1.2.3.4", "1.2.3.4:5678", "[::1]:80")."""
    if not value:
        return None
    value = value.strip()
    if value.startswith("["):  # [IPv6]:port
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:  # IPv4:port (a bare IPv6 has several colons)
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address the request came from, seen through PRM_TRUSTED_PROXY_COUNT proxies of ours.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so
    with N of them the client is the N-th entry from the right. Entries further left were written
    by the client and are never believed (anyone can send X-Forwarded-For: 1.2.3.4). With a count
    of 0 the header is ignored: REMOTE_ADDR is the client.
    """
    remote = _parse(request.META.get("REMOTE_ADDR"))
    trusted = settings.PRM_TRUSTED_PROXY_COUNT
    if trusted <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer entries than proxies: the request skipped an outer proxy; every entry there was
    # written by one of ours, so the leftmost is still one we trust.
    return _parse(hops[-min(trusted, len(hops))]) or remote
