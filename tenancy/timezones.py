"""Time zones of the people reading the pages: every member may pick an IANA zone
(Membership.time_zone); without one, the program's zone (Tenant.time_zone), which defaults to UTC.
TimeZoneMiddleware activates the viewer's zone for the request, so every time on a page is shown
in it, and formats ending in "T" label it ("14:05 CET"). Times are stored in UTC."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

DEFAULT_TIME_ZONE = "UTC"


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name this machine knows, sorted (the tzdata package ships them)."""
    return tuple(sorted(available_timezones()))


def validate_time_zone(value: str) -> None:
    if value and value not in time_zone_names():
        raise ValidationError(
            _("Choose a time zone from the list, e.g. Europe/Berlin."), code="invalid_time_zone"
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in time_zone_names()]


def zone_for(membership=None, tenant=None) -> ZoneInfo:
    """The zone a member reads times in: their own, else their program's, else UTC."""
    name = (getattr(membership, "time_zone", "") or getattr(tenant, "time_zone", "")) or ""
    if name not in time_zone_names():
        name = DEFAULT_TIME_ZONE
    return ZoneInfo(name)
