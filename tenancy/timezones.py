"""The viewer's time zone: every page shows times in it, labelled ("14:05 CET").

The browser tells us its zone once (static/js/viewer-tz.js sets the `tz` cookie); `?tz=Europe/Paris`
overrides it. Unknown names fall back to UTC. ViewerTimezoneMiddleware activates the zone for the
request, so `{{ when }}`, `|date` and `{% time_span %}` all render in it.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from urllib.parse import unquote

from django.utils import timezone

TZ_COOKIE = "tz"
UTC = zoneinfo.ZoneInfo("UTC")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def viewer_timezone(request) -> zoneinfo.ZoneInfo:
    """`?tz=` if it names a zone, else the cookie the browser's script set, else UTC."""
    cookie = unquote(request.COOKIES.get(TZ_COOKIE, ""))  # the script percent-encodes it
    for name in (request.GET.get("tz"), cookie):
        if name and name in _known_zones():
            return zoneinfo.ZoneInfo(name)
    return UTC


class ViewerTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = viewer_timezone(request)
        with timezone.override(zone):
            response = self.get_response(request)
        if request.GET.get("tz") == zone.key:
            response.set_cookie(TZ_COOKIE, zone.key, max_age=365 * 24 * 3600, samesite="Lax")
        return response
