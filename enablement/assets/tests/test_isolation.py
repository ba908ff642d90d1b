"""Every id-taking URL of this area answers 404 to tenant A for tenant B's objects (the same walk
as tests/test_isolation_walk.py, over this app's URLs), as a session user and as an API key."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from enablement.assets import services
from enablement.assets.tests import factories as f
from enablement.assets.tests.urls import router
from enablement.assets.urls import urlpatterns
from tenancy import services as tenancy_services
from tenancy.access import actor_for_user
from tenancy.context import tenant_context

pytestmark = pytest.mark.urls("enablement.assets.tests.urls")

HTML_ROUTES = [(str(p.pattern), p.name) for p in urlpatterns if p.pattern.regex.groupindex]
API_ROUTES = [p.name for p in router.urls if "detail" in p.name and "format" not in str(p.pattern)]


@pytest.fixture
def victims(globex):
    asset = f.AssetFactory(tenant=globex.tenant)
    stage = f.PlaybookStageFactory(tenant=globex.tenant)
    with tenant_context(globex.tenant):
        actor = actor_for_user(globex.admin, globex.tenant)
        version = services.asset_version_add(actor=actor, asset=asset, file=f.pdf_upload())
    return {
        "asset_uuid": asset.uuid,
        "version_uuid": version.uuid,
        "stage_uuid": stage.uuid,
        "asset": asset.uuid,
        "playbook-stage": stage.uuid,
    }


def test_the_walk_covers_every_route():
    assert len(HTML_ROUTES) == 5
    assert set(API_ROUTES) == {"asset-detail", "playbook-stage-detail"}


@pytest.mark.parametrize(("route", "name"), HTML_ROUTES, ids=[r[1] for r in HTML_ROUTES])
def test_session_user_of_other_tenant_gets_404(route, name, acme, victims):
    kwargs = {
        k: victims[k]
        for k in urlpatterns[[p.name for p in urlpatterns].index(name)].pattern.regex.groupindex
    }
    url = reverse(name, kwargs=kwargs)
    user = acme.partner_admin if route.startswith("portal/") else acme.admin
    client = acme.client(user)
    for method in ("get", "post"):
        assert getattr(client, method)(url).status_code == 404, (method, url)


@pytest.mark.parametrize("name", API_ROUTES)
def test_api_key_of_other_tenant_gets_404(name, acme, victims):
    with tenant_context(acme.tenant):
        _, plaintext = tenancy_services.api_key_create(
            actor=actor_for_user(acme.admin, acme.tenant), name="walker", role="program_admin"
        )
    url = reverse(name, kwargs={"id": victims[name.rsplit("-", 1)[0]]})
    client = APIClient(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    for method in ("get", "put", "patch", "delete"):
        response = getattr(client, method)(url)
        if response.status_code == 405:
            continue
        assert response.status_code == 404, (method, url, response.status_code)
