"""Content-Security-Policy: every surface (console, portal, public pages, the API and its docs)
sends the header; scripts only from this site (no 'unsafe-inline'); no template carries an inline
script or an on*= handler that the policy would block. tests/browser/test_csp.py checks in
Chromium that the main pages raise no violation."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
HEADER = "Content-Security-Policy"


def directives(response) -> dict[str, list[str]]:
    policy = response.headers[HEADER]
    parts = (part.strip().split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def assert_strict(response):
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("admin", "/console/"),
        ("manager", "/console/recruitment/"),
        ("partner_admin", "/portal/"),
        ("partner_admin", "/portal/organization/"),
    ],
)
def test_console_and_portal_pages_send_the_policy(acme, role, path):
    response = acme.client(getattr(acme, role)).get(path)
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.parametrize("path", ["/apply/", "/apply/thanks/", "/accounts/login/"])
def test_public_pages_send_the_policy(acme, path):
    response = Client(HTTP_HOST=acme.host()).get(path)
    assert response.status_code == 200
    assert_strict(response)


def test_error_pages_and_the_api_send_it_too(acme):
    assert_strict(Client(HTTP_HOST=acme.host()).get("/no-such-page/"))
    assert_strict(acme.api(acme.admin).get("/api/v1/me/"))


def test_the_api_docs_load_their_start_up_script_from_the_site(client):
    page = client.get(reverse("api-docs"), HTTP_HOST="127.0.0.1")
    assert page.status_code == 200
    assert_strict(page)
    html = page.content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    start_up = re.search(r'<script src="([^"]*\?script[^"]*)"', html).group(1)
    script = client.get(start_up.replace("&amp;", "&"), HTTP_HOST="127.0.0.1")
    assert script.status_code == 200
    assert "javascript" in script["Content-Type"] and "SwaggerUIBundle" in script.content.decode()


# Our templates (not third-party ones): the policy would block these, so none may appear.
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def _our_templates():
    roots = [Path(d) for d in settings.TEMPLATES[0]["DIRS"]]
    roots += [p for p in Path(settings.BASE_DIR).glob("*/templates") if p.is_dir()]
    roots += [p for p in Path(settings.BASE_DIR).glob("*/*/templates") if p.is_dir()]
    for root in roots:
        for path in root.rglob("*.html"):
            if "emails" not in path.parts:  # mail clients, not browsers under our policy
                yield path


def test_no_template_has_inline_scripts_or_event_handlers():
    offenders = []
    for path in _our_templates():
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, JS_URL):
            offenders += [f"{path}: {m.group(0)[:60]}" for m in pattern.finditer(text)]
    assert offenders == []
    assert len(list(_our_templates())) > 50  # the walk found the templates
