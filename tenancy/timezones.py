"""The time zone people read times in, and one middleware that activates it.

Where the zone comes from, first that applies: the member's own choice (Membership.time_zone, on
the notification preferences page); else the browser's zone (static/js/viewer-tz.js remembers it
in the `tz` cookie; `?tz=Europe/Paris` overrides and is remembered); else the program's zone
(Tenant.time_zone); else UTC. TimeZoneMiddleware (tenancy.middleware) activates it for the
request, so `{{ when }}`, `|date` and `{% time_span %}` render in it and formats ending in "T"
label it ("14:05 CET"). Times are stored in UTC; the API speaks UTC.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import unquote
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_TIME_ZONE = "UTC"
TZ_COOKIE = "tz"


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (the tzdata package ships them)."""
    return tuple(sorted(available_timezones()))


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(time_zone_names())


def validate_time_zone(value: str) -> None:
    if value and value not in _known_zones():
        raise ValidationError(
            _("Choose a time zone from the list, e.g. Europe/Berlin."), code="invalid_time_zone"
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in time_zone_names()]


def browser_zone_name(request) -> str:
    """`?tz=` if it names a zone, else the zone the browser's script remembered, else ""."""
    if request is None:
        return ""
    cookie = unquote(request.COOKIES.get(TZ_COOKIE, ""))  # the script percent-encodes it
    for name in (request.GET.get("tz"), cookie):
        if name and name in _known_zones():
            return name
    return ""


def zone_for(membership=None, tenant=None, request=None) -> ZoneInfo:
    """The zone a viewer reads times in: their own choice, else their browser's, else their
    program's, else UTC."""
    for name in (
        getattr(membership, "time_zone", ""),
        browser_zone_name(request),
        getattr(tenant, "time_zone", ""),
    ):
        if name and name in _known_zones():
            return ZoneInfo(name)
    return ZoneInfo(DEFAULT_TIME_ZONE)


def remember_requested_zone(request, response) -> None:
    """`?tz=Zone` is remembered for the next pages (the cookie the browser's script also sets)."""
    name = request.GET.get("tz")
    if name and name in _known_zones():
        response.set_cookie(TZ_COOKIE, name, max_age=365 * 24 * 3600, samesite="Lax")
