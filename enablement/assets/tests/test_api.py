"""API: assets (visible list/retrieve; writes for program managers, multipart uploads validated
the same way) and playbook stages (with visible recommended assets)."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from enablement.assets.models import Asset, PlaybookStageAsset
from enablement.assets.tests import factories as f
from tenancy.context import tenant_context
from tenancy.tests.files import renamed_exe, stored_files


def titles(response):
    return {row["title"] for row in response.json()["results"]}


def test_list_shows_visible_assets_only(acme, globex):
    f.AssetFactory(tenant=acme.tenant, title="Deck")
    f.AssetFactory(tenant=acme.tenant, title="Battle", type="battle_card")
    f.AssetFactory(tenant=acme.tenant, title="Draft", is_published=False)
    f.AssetFactory(tenant=globex.tenant, title="Globex")
    assert titles(acme.api(acme.partner_presales).get("/api/v1/assets/")) == {"Deck"}
    assert titles(acme.api(acme.partner_sales).get("/api/v1/assets/")) == {"Deck", "Battle"}
    assert titles(acme.api(acme.admin).get("/api/v1/assets/")) == {"Deck", "Battle", "Draft"}


def test_list_is_403_for_direct_sales(acme):
    assert acme.api(acme.sales).get("/api/v1/assets/").status_code == 403


def test_retrieve_hidden_or_other_tenant_asset_is_404(acme, globex):
    battle = f.AssetFactory(tenant=acme.tenant, type="battle_card")
    theirs = f.AssetFactory(tenant=globex.tenant)
    assert acme.api(acme.partner_presales).get(f"/api/v1/assets/{battle.uuid}/").status_code == 404
    assert acme.api(acme.partner_sales).get(f"/api/v1/assets/{battle.uuid}/").status_code == 200
    assert acme.api(acme.admin).get(f"/api/v1/assets/{theirs.uuid}/").status_code == 404


def test_list_query_count_does_not_grow(acme):
    api = acme.api(acme.partner_sales)
    for _ in range(2):
        f.AssetVersionFactory(tenant=acme.tenant)
    api.get("/api/v1/assets/")
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/assets/")
    for _ in range(12):
        f.AssetVersionFactory(tenant=acme.tenant)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/assets/").json()["results"]) == 14
    assert len(many) == len(few)


def test_create_with_multipart_upload_and_update_with_new_version(acme):
    api = acme.api(acme.admin)
    response = api.post(
        "/api/v1/assets/",
        {
            "title": "API deck",
            "type": "deck",
            "partner_roles": ["partner_sales"],
            "is_published": True,
            "file": f.pdf_upload(),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["partner_roles"] == ["partner_sales"]
    assert [v["number"] for v in body["versions"]] == [1]
    response = api.patch(
        f"/api/v1/assets/{body['id']}/",
        {"url": "https://example.com/v2", "title": "API deck v2"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [v["number"] for v in response.json()["versions"]] == [2, 1]
    assert response.json()["title"] == "API deck v2"


def test_api_refuses_disguised_executable(acme, settings):
    response = acme.api(acme.admin).post(
        "/api/v1/assets/",
        {"title": "Evil", "type": "deck", "file": renamed_exe("deck.pdf")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "This file type is not allowed" in str(response.json()["file"])
    with tenant_context(acme.tenant):
        assert not Asset.objects.filter(title="Evil").exists()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_writes_are_403_for_readers(acme):
    asset = f.AssetFactory(tenant=acme.tenant)
    api = acme.api(acme.executive)
    assert api.post("/api/v1/assets/", {"title": "x", "type": "deck"}).status_code == 403
    assert api.patch(f"/api/v1/assets/{asset.uuid}/", {"title": "y"}).status_code == 403
    partner = acme.api(acme.partner_admin)
    assert partner.delete(f"/api/v1/assets/{asset.uuid}/").status_code == 403


def test_playbook_stages_list_visible_assets(acme, globex):
    stage = f.PlaybookStageFactory(tenant=acme.tenant, name="Propose", guidance="*Tip*")
    deck = f.AssetFactory(tenant=acme.tenant, title="Proposal deck")
    battle = f.AssetFactory(tenant=acme.tenant, title="Battle", type="battle_card")
    with tenant_context(acme.tenant):
        PlaybookStageAsset.objects.create(stage=stage, asset=deck, position=1)
        PlaybookStageAsset.objects.create(stage=stage, asset=battle, position=2)
    f.PlaybookStageFactory(tenant=globex.tenant, name="Globex")
    response = acme.api(acme.partner_presales).get("/api/v1/playbook-stages/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["name"] for r in rows] == ["Propose"]
    assert [a["title"] for a in rows[0]["assets"]] == ["Proposal deck"]
    assert "<em>Tip</em>" in rows[0]["guidance_html"]
    assert acme.api(acme.sales).get("/api/v1/playbook-stages/").status_code == 403
    other = globex.api(globex.partner_sales).get(f"/api/v1/playbook-stages/{stage.uuid}/")
    assert other.status_code == 404


def test_schema_describes_the_endpoints(client):
    response = client.get("/api/v1/schema/", HTTP_HOST="127.0.0.1", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/assets/{id}/" in paths and "/api/v1/playbook-stages/" in paths
