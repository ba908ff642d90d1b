"""The time zone people read times in, and one middleware that activates it.

Where the zone comes from, first that applies: `?tz=Europe/Paris` on the request (remembered in
the cookie); the member's own choice (Membership.time_zone, on the notification preferences
page); the browser's zone (static/js/viewer-tz.js remembers it in the `tz` cookie); the
program's zone (Tenant.time_zone); else UTC. TimeZoneMiddleware (tenancy.middleware) activates
it for the request, so `{{ when }}`, `|date` and `{% time_span %}` render in it and formats
ending in "T" label it ("14:05 CET"). Times are stored in UTC; the API speaks UTC.
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


def _known_or_empty(name: str | None) -> str:
    return name if name and name in _known_zones() else ""


def zone_for(membership=None, tenant=None, request=None) -> ZoneInfo:
    """The zone a viewer reads times in: `?tz=` asked for on this request, else their own
    choice, else their browser's (the cookie), else their program's, else UTC."""
    asked = _known_or_empty(request.GET.get("tz")) if request is not None else ""
    cookie = (
        _known_or_empty(unquote(request.COOKIES.get(TZ_COOKIE, "")))  # the script encodes it
        if request is not None
        else ""
    )
    for name in (
        asked,
        _known_or_empty(getattr(membership, "time_zone", "")),
        cookie,
        _known_or_empty(getattr(tenant, "time_zone", "")),
    ):
        if name:
            return ZoneInfo(name)
    return ZoneInfo(DEFAULT_TIME_ZONE)


def remember_requested_zone(request, response) -> None:
    """`?tz=Zone` is remembered for the next pages (the cookie the browser's script also sets)."""
    name = _known_or_empty(request.GET.get("tz"))
    if name:
        response.set_cookie(TZ_COOKIE, name, max_age=365 * 24 * 3600, samesite="Lax")
