"""Per-key scopes: an API key may be limited to some areas of the API, and to reading them.

A scope is `<area>:read` or `<area>:write` (write includes read), or `*` (everything the key's
role allows: the default, and what keys made before scopes have). Each app registers the area
its API belongs to (`register_api_area` in its AppConfig.ready), so the ground floor does not
name the apps above it; a view of an app that registered no area is refused to a scoped key
(fails closed). Scopes narrow a key; they never widen what its role may do. Sessions (people in
a browser) have no scopes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS

ALL = "*"


@dataclass(frozen=True)
class ApiArea:
    key: str  # "deals"
    label: Any  # "Deal registration"


_AREAS: dict[str, ApiArea] = {}  # app label → area


def register_api_area(app_label: str, key: str, label) -> None:
    _AREAS[app_label] = ApiArea(key, label)


def areas() -> list[ApiArea]:
    """Every area, once, in registration order."""
    seen: dict[str, ApiArea] = {}
    for area in _AREAS.values():
        seen.setdefault(area.key, area)
    return list(seen.values())


def scope_choices() -> list[tuple[str, str]]:
    """(scope, words) for forms and the API document."""
    choices = [(ALL, _("Everything its role allows"))]
    for area in areas():
        choices += [
            (f"{area.key}:read", _("%(area)s: read") % {"area": area.label}),
            (f"{area.key}:write", _("%(area)s: read and write") % {"area": area.label}),
        ]
    return choices


def known_scopes() -> set[str]:
    return {value for value, _words in scope_choices()}


def normalize(scopes) -> list[str]:
    """The scopes as stored: known ones, deduplicated, in the choices' order; `*` alone if
    present; a write makes its read redundant."""
    wanted = set(scopes or ())
    if ALL in wanted:
        return [ALL]
    writes = {scope.split(":")[0] for scope in wanted if scope.endswith(":write")}
    wanted = {scope for scope in wanted if not (scope.endswith(":read") and scope[:-5] in writes)}
    return [value for value, _words in scope_choices() if value in wanted]


def allows(granted, needed: str) -> bool:
    """Whether scopes `granted` cover `needed` (`<area>:read` / `<area>:write`)."""
    granted = set(granted or ())
    if ALL in granted or needed in granted:
        return True
    area, _sep, access = needed.partition(":")
    return access == "read" and f"{area}:write" in granted


def covers(granted, requested) -> bool:
    """Whether a key with `granted` may make a key with `requested` (no widening)."""
    return all(allows(granted, scope) for scope in requested if scope != ALL) and (
        ALL not in set(requested) or ALL in set(granted or ())
    )


def needed_for(request, view) -> str | None:
    """The scope a request needs: its view's area, read for safe methods, else write. None for
    a view every key may call (`api_scope_free = True`: who am I)."""
    if getattr(view, "api_scope_free", False):
        return None
    app_label = type(view).__module__.split(".")[0]
    area = _AREAS.get(app_label)
    key = area.key if area else f"unregistered-{app_label}"
    return f"{key}:{'read' if request.method in SAFE_METHODS else 'write'}"
