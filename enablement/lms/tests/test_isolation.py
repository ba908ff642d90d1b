"""The project-wide isolation walk, restricted to the LMS URLs (until the lead wires them)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, get_resolver, reverse

from tenancy.context import tenant_context

from .factories import isolation_objects

pytestmark = pytest.mark.urls("enablement.lms.tests.urls")

LMS_NAMES = {"course-detail", "enrollment-detail", "quiz-attempt-detail", "quiz-attempt-submit"}


def _routes():
    resolver = get_resolver("enablement.lms.tests.urls")
    found = []
    for pattern in resolver.url_patterns:
        patterns = getattr(pattern, "url_patterns", [pattern])
        prefix = str(pattern.pattern) if hasattr(pattern, "url_patterns") else ""
        for p in patterns:
            if not isinstance(p, URLPattern) or not p.name:
                continue
            kwargs = [k for k in p.pattern.regex.groupindex if k != "format"]
            route = prefix + str(p.pattern)
            is_lms = p.callback.__module__.startswith("enablement.lms") or p.name in LMS_NAMES
            if kwargs and is_lms and "format" not in route:
                actions = getattr(p.callback, "actions", None)
                found.append(
                    (route, p.name, kwargs, sorted(actions) if actions else ["get", "post"])
                )
    return found


ROUTES = _routes()


def test_walk_covers_lms_routes():
    names = {name for _, name, _, _ in ROUTES}
    assert {"portal_course", "portal_quiz_attempt", "console_learning_module"} <= names
    assert names >= LMS_NAMES


@pytest.mark.parametrize(("route", "name", "kwargs", "verbs"), ROUTES, ids=[r[1] for r in ROUTES])
def test_tenant_a_gets_404_for_tenant_b_lms_objects(route, name, kwargs, verbs, acme, globex):
    with tenant_context(globex.tenant):
        objects = isolation_objects(globex)
    key = lambda k: name.rsplit("-", 1)[0] if k == "id" else k  # noqa: E731
    url = reverse(name, kwargs={k: objects[key(k)] for k in kwargs})
    user = acme.partner_admin if route.startswith("portal/") else acme.admin
    client = acme.client(user)
    codes = {method: getattr(client, method)(url).status_code for method in verbs}
    assert set(codes.values()) <= {404, 405} and 404 in codes.values(), (url, codes)
