"""NUL characters and API error shapes, across the project.

Postgres refuses text holding NUL ("\\x00"): a `?q=%00` that reached a filter was a 500, answered as
an HTML debug page even under /api/. Query strings and form bodies are stripped of NUL by a
middleware; JSON bodies holding one are refused with 400; every error under /api/ is JSON.
The walk requests every API list endpoint with NUL in its query and its JSON body.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from prm.api_urls import router
from tenancy import services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.hardening import NulByteMiddleware

pytestmark = pytest.mark.django_db

API = "/api/v1/"
NUL_BODY = {
    "q": "\x00",
    "name": "CRM\x00",
    "title": "x\x00y",
    "body": "\x00",
    "email": "a\x00@b.test",
    "reason": "\x00",
    "tags": ["ok", "\x00"],
    "nested": {"k\x00": "v"},
}


def api_list_paths() -> list[str]:
    """Every list (and collection-level action) endpoint of the API, from the router itself, so
    a new endpoint joins the walk without editing it."""
    paths = ["me/"]
    for url in router.urls:
        pattern = url.pattern.regex.pattern
        if "(?P" in pattern or pattern in ("^$", "^\\Z"):
            continue
        paths.append(pattern.lstrip("^").rstrip("$"))
    return sorted(set(paths))


def assert_json(response, label: str) -> None:
    assert response.status_code != 500, f"{label}: 500"
    assert response["Content-Type"].startswith("application/json"), (
        f"{label}: {response.status_code} {response['Content-Type']}"
    )
    json.loads(response.content)


def test_the_walk_covers_the_api():
    paths = api_list_paths()
    assert len(paths) > 30
    assert {"memberships/", "deal-pipeline/", "quiz-attempts/", "deal-disputes/"} <= set(paths)


@pytest.mark.parametrize("path", api_list_paths())
def test_every_api_list_endpoint_survives_nul_in_query_and_body(path, acme):
    client = acme.api(acme.admin)
    client.raise_request_exception = False
    url = API + path
    for query in ("?q=%00", "?search=%00", "?q=a%00b&search=%00&ordering=%00&page=%00"):
        response = client.get(url + query)
        assert_json(response, f"GET {url}{query}")
    response = client.post(url, json.dumps(NUL_BODY), content_type="application/json")
    assert_json(response, f"POST {url}")
    if response.status_code not in (403, 405):
        assert response.status_code == 400, f"POST {url}: {response.status_code}"
    # Form bodies (urlencoded and multipart) are stripped instead: whatever follows, not a 500.
    form = {k: v for k, v in NUL_BODY.items() if isinstance(v, str)}
    assert_json(client.post(url, form, format="multipart"), f"POST multipart {url}")
    encoded = "&".join(f"{k}=a%00b" for k in form)
    response = client.post(url, encoded, content_type="application/x-www-form-urlencoded")
    assert_json(response, f"POST urlencoded {url}")


def test_nul_in_searches_is_not_a_500(acme):
    """The three places the finding named, as a partner user and as staff."""
    partner = acme.client(acme.partner_sales)
    for name in ("portal_deals", "portal_search"):
        response = partner.get(reverse(name) + "?q=%00")
        assert response.status_code == 200, name
    response = acme.api(acme.admin).get("/api/v1/deal-pipeline/?q=%00")
    assert response.status_code == 200 and "results" in response.json()
    # Stripped, not ignored: the rest of the search still applies.
    response = acme.client(acme.admin).get(reverse("console_team") + "?q=%00" + "manager%00")
    assert response.status_code == 200
    assert [m.user for m in response.context["members"]] == [acme.manager]


def test_nul_in_an_api_form_body_is_stripped(acme):
    response = acme.api(acme.admin).post(
        "/api/v1/api-keys/",
        "name=CRM%00sync&role=executive",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 201 and response.json()["name"] == "CRMsync"


def test_nul_json_body_is_a_400_json_answer(acme):
    response = acme.api(acme.admin).post(
        "/api/v1/invitations/",
        json.dumps({"email": "new@acme.test", "role": "marketing", "x": "\x00"}),
        content_type="application/json",
    )
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


def test_nul_in_a_form_body_is_stripped_before_the_view():
    seen = {}

    def view(request):
        seen.update(post=request.POST.dict(), get=request.GET.dict())
        from django.http import HttpResponse

        return HttpResponse("ok")

    request = RequestFactory().post("/x/?q=a%00b", {"reason": "Bad\x00 partner", "ok": "fine"})
    NulByteMiddleware(view)(request)
    assert seen == {"post": {"reason": "Bad partner", "ok": "fine"}, "get": {"q": "ab"}}


def test_nul_in_a_page_form_is_a_form_answer_not_a_500(acme):
    client = acme.client(acme.admin)
    client.raise_request_exception = False
    response = client.post(
        reverse("console_team"), {"email": "new\x00@acme.test", "role": "marketing"}
    )
    assert response.status_code in (302, 400)


def test_nul_in_a_path_or_an_api_key_is_not_a_500(acme):
    client = acme.client()
    client.raise_request_exception = False
    assert client.get("/portal/deals/%00/").status_code == 404
    api = APIClient(HTTP_HOST=acme.host(), HTTP_AUTHORIZATION="Bearer prm_\x00abc_secret")
    api.raise_request_exception = False
    response = api.get("/api/v1/me/")
    assert response.status_code == 401 and response.json()["detail"]


# --- Every API error is JSON --------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
def test_unknown_api_url_is_a_json_404(acme, debug):
    with override_settings(DEBUG=debug):
        client = acme.api(acme.admin)
        for path in ("/api/v1/nope/", "/api/v1/memberships/not-a-uuid/extra/", "/api/v2/"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.json() == {"detail": "Not found."}, path


@pytest.mark.parametrize("debug", [False, True])
def test_unhandled_api_error_is_a_json_500_without_traceback(acme, debug, monkeypatch):
    from tenancy.api import views

    def explode(self, request):
        raise RuntimeError("secret internals /srv/app/settings.py")

    monkeypatch.setattr(views.MeView, "get", explode)
    with override_settings(DEBUG=debug):
        client = acme.api(acme.admin)
        client.raise_request_exception = False
        response = client.get("/api/v1/me/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert "secret internals" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert response.json()["detail"]


def test_pages_keep_their_html_errors(acme):
    response = Client(HTTP_HOST=acme.host()).get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_nul_in_a_key_name_is_refused_by_the_api_and_stripped_by_the_page(acme):
    """NUL never reaches the database through a key's name: refused in JSON, stripped in a form."""
    with tenant_context(acme.tenant):
        _, plaintext = services.api_key_create(
            actor=actor_for_user(acme.admin, acme.tenant), name="walker", role="program_admin"
        )
    api = APIClient(HTTP_HOST=acme.host(), HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    refused = api.post(
        "/api/v1/api-keys/",
        json.dumps({"name": "x\x00", "role": "executive"}),
        content_type="application/json",
    )
    assert refused.status_code == 400
    page = acme.client(acme.admin).post(
        reverse("console_api_keys"), {"name": "x\x00y", "role": "executive"}
    )
    assert page.status_code == 200
    with tenant_context(acme.tenant):
        from tenancy.models import ApiKey

        assert ApiKey.objects.filter(name="xy").exists()
