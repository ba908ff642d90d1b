"""Internet domain names as the apps store and compare them (partner websites, customer domains)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Labels of letters, digits and inner hyphens (at most 63 characters), an alphabetic top-level
# label, at most 253 characters in all.
DOMAIN_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def normalize_domain(value: str) -> str:
    """“HTTPS://www.Acme.com/partners?x” → “acme.com”. Also takes a bare host or an email."""
    value = (value or "").strip().lower()
    if not value:
        return ""
    if "@" in value and "://" not in value:
        value = value.rsplit("@", 1)[1]
    host = urlsplit(value if "://" in value else f"//{value}").hostname or ""
    host = host.strip(".")
    if host.startswith("www."):
        host = host[4:]
    return host


def is_valid_domain(domain: str) -> bool:
    """Whether an already normalised domain looks like a real one (“acme.com”, not “acme”)."""
    return bool(DOMAIN_RE.match(domain or ""))
