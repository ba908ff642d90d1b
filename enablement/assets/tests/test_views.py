"""Portal and console pages: library, detail, downloads (visibility-checked), playbook, CRUD."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enablement.assets.models import AssetEvent, AssetType, PlaybookStageAsset
from enablement.assets.tests import factories as f
from tenancy.context import tenant_context
from tenancy.roles import Role
from tenancy.tests.files import renamed_exe, stored_files
from tenancy.tests.queries import SESSION_QUERIES


def file_asset(world, **kwargs):
    """A published asset with one uploaded PDF version."""
    from enablement.assets import services
    from tenancy.access import actor_for_user

    with tenant_context(world.tenant):
        actor = actor_for_user(world.admin, world.tenant)
        asset = services.asset_create(
            actor=actor,
            title=kwargs.pop("title", "Battle card"),
            type=kwargs.pop("type", AssetType.DECK),
            is_published=True,
            file=f.pdf_upload(),
            **kwargs,
        )
    return asset


# --- Portal library ----------------------------------------------------------------------


def _assets_with_versions(world, count, *, start=0, stage=None):
    """`count` published assets, the i-th with 1 + i % 4 versions (link, file, link, file...)."""
    for i in range(start, start + count):
        asset = f.AssetFactory(
            tenant=world.tenant,
            title=f"Library asset {i:03d}",
            product=f"Product {i % 3}",
            language=["en", "de", "fr"][i % 3],
            stage=stage,
        )
        for number in range(1, 2 + i % 4):
            f.AssetVersionFactory(
                tenant=world.tenant,
                asset=asset,
                number=number,
                url="" if number % 2 == 0 else "https://example.com/asset",
                file=f"assets/{asset.uuid}-v{number}.pdf" if number % 2 == 0 else "",
            )


def test_portal_library_lists_visible_assets_with_filters(acme):
    f.AssetFactory(tenant=acme.tenant, title="Cloud deck", product="Cloud")
    f.AssetFactory(tenant=acme.tenant, title="Edge datasheet", product="Edge", type="datasheet")
    f.AssetFactory(tenant=acme.tenant, title="Secret draft", is_published=False)
    client = acme.client(acme.partner_sales)
    page = client.get("/portal/assets/").content.decode()
    assert "Cloud deck" in page and "Edge datasheet" in page and "Secret draft" not in page
    page = client.get("/portal/assets/?type=datasheet").content.decode()
    assert "Edge datasheet" in page and "Cloud deck" not in page
    page = client.get("/portal/assets/?q=cloud").content.decode()
    assert "Cloud deck" in page and "Edge datasheet" not in page
    page = client.get("/portal/assets/?product=Edge", HTTP_HX_REQUEST="true").content.decode()
    assert "Edge datasheet" in page and "Cloud deck" not in page and "<html" not in page


def test_portal_library_is_403_for_vendor_staff(acme):
    assert acme.client(acme.sales).get("/portal/assets/").status_code == 403


def test_technical_user_does_not_see_marketing_assets(acme):
    f.AssetFactory(tenant=acme.tenant, title="Competitor battle card", type="battle_card")
    page = acme.client(acme.partner_presales).get("/portal/assets/").content.decode()
    assert "Competitor battle card" not in page
    page = acme.client(acme.partner_sales).get("/portal/assets/").content.decode()
    assert "Competitor battle card" in page


def test_library_query_count_does_not_grow_with_data(acme):
    client = acme.client(acme.partner_sales)
    stage = f.PlaybookStageFactory(tenant=acme.tenant)

    def make(n):
        for _ in range(n):
            asset = f.AssetFactory(tenant=acme.tenant, stage=stage)
            f.AssetVersionFactory(tenant=acme.tenant, asset=asset)

    make(2)
    client.get("/portal/assets/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/portal/assets/").status_code == 200
    make(15)
    with CaptureQueriesContext(connection) as many:
        assert client.get("/portal/assets/").status_code == 200
    assert len(many) == len(few)


def test_asset_detail_records_a_view_and_shows_versions(acme, globex):
    asset = file_asset(acme, title="Pricing deck")
    client = acme.client(acme.partner_sales)
    page = client.get(f"/portal/assets/{asset.uuid}/").content.decode()
    assert "Pricing deck" in page and "v1" in page
    with tenant_context(acme.tenant):
        assert AssetEvent.objects.filter(asset=asset, kind="view").count() == 1
    theirs = file_asset(globex)
    assert client.get(f"/portal/assets/{theirs.uuid}/").status_code == 404
    assert acme.client(acme.sales).get(f"/portal/assets/{asset.uuid}/").status_code == 403


# --- Downloads -----------------------------------------------------------------------------


def test_download_streams_the_file_as_attachment_and_is_tracked(acme):
    asset = file_asset(acme)
    response = acme.client(acme.partner_sales).get(f"/portal/assets/{asset.uuid}/download/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == f.MINIMAL_PDF
    with tenant_context(acme.tenant):
        event = AssetEvent.objects.get(asset=asset)
    assert (event.kind, event.user) == ("download", acme.partner_sales)


def test_link_version_redirects_and_is_tracked(acme):
    asset = f.AssetFactory(tenant=acme.tenant)
    f.AssetVersionFactory(tenant=acme.tenant, asset=asset, url="https://example.com/video")
    response = acme.client(acme.partner_sales).get(f"/portal/assets/{asset.uuid}/download/")
    assert response.status_code == 302 and response["Location"] == "https://example.com/video"
    with tenant_context(acme.tenant):
        assert AssetEvent.objects.filter(asset=asset, kind="download").count() == 1


def test_hidden_asset_file_url_is_404_to_the_user_and_other_tenants(acme, globex):
    hidden = file_asset(acme, type=AssetType.BATTLE_CARD)  # marketing: hidden from pre-sales
    with tenant_context(acme.tenant):
        version = hidden.versions.get()
    urls = [
        f"/portal/assets/{hidden.uuid}/download/",
        f"/portal/assets/{hidden.uuid}/versions/{version.uuid}/download/",
        f"/portal/assets/{hidden.uuid}/",
    ]
    presales = acme.client(acme.partner_presales)
    for url in urls:
        assert presales.get(url).status_code == 404, url
    # Another tenant's users asking on their own host: 404 (scoped manager), never the file.
    for url in urls[:2]:
        assert globex.client(globex.partner_sales).get(url).status_code == 404
        assert globex.client(globex.admin).get(url).status_code == 404
    # The owner tenant's sales user gets it, the vendor staff too (console), direct sales 403.
    assert acme.client(acme.partner_sales).get(urls[1]).status_code == 200
    assert acme.client(acme.admin).get(urls[1]).status_code == 200
    assert acme.client(acme.sales).get(urls[0]).status_code == 403
    with tenant_context(acme.tenant):
        assert AssetEvent.objects.filter(asset=hidden).count() == 2


def test_media_url_is_not_routed(acme):
    asset = file_asset(acme)
    with tenant_context(acme.tenant):
        name = asset.versions.get().file.name
    assert acme.client(acme.partner_sales).get(f"/media/{name}").status_code == 404


def test_unpublished_asset_download_is_404_to_partners(acme):
    asset = file_asset(acme)
    with tenant_context(acme.tenant):
        type(asset).objects.filter(pk=asset.pk).update(is_published=False)
    url = f"/portal/assets/{asset.uuid}/download/"
    assert acme.client(acme.partner_sales).get(url).status_code == 404


# --- Playbook ------------------------------------------------------------------------------


def test_portal_playbook_shows_stages_in_order_and_only_visible_assets(acme, globex):
    later = f.PlaybookStageFactory(tenant=acme.tenant, name="Negotiate", position=4)
    first = f.PlaybookStageFactory(
        tenant=acme.tenant, name="Qualify", position=1, guidance="**BANT** <script>x()</script>"
    )
    visible = f.AssetFactory(tenant=acme.tenant, title="Qualification checklist")
    hidden = f.AssetFactory(tenant=acme.tenant, title="Marketing battle", type="battle_card")
    with tenant_context(acme.tenant):
        PlaybookStageAsset.objects.create(stage=first, asset=visible)
        PlaybookStageAsset.objects.create(stage=first, asset=hidden)
    f.PlaybookStageFactory(tenant=globex.tenant, name="Globex stage")
    page = acme.client(acme.partner_presales).get("/portal/playbook/").content.decode()
    assert page.index("Qualify") < page.index("Negotiate")
    assert "<strong>BANT</strong>" in page and "<script>x()" not in page
    assert "Qualification checklist" in page and "Marketing battle" not in page
    assert "Globex stage" not in page
    assert later.name in page
    sales_page = acme.client(acme.partner_sales).get("/portal/playbook/").content.decode()
    assert "Marketing battle" in sales_page
    assert acme.client(acme.sales).get("/portal/playbook/").status_code == 403


# --- Console -------------------------------------------------------------------------------


def test_console_create_with_upload_then_new_version(acme):
    client = acme.client(acme.admin)
    response = client.post(
        "/console/assets/",
        {
            "title": "Q3 deck",
            "type": "deck",
            "language": "en",
            "partner_roles": [Role.PARTNER_SALES],
            "is_published": "on",
            "file": f.pdf_upload(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(acme.tenant):
        from enablement.assets.models import Asset

        asset = Asset.objects.get(title="Q3 deck")
        assert asset.partner_roles == [Role.PARTNER_SALES]
    response = client.post(
        f"/console/assets/{asset.uuid}/",
        {"action": "version", "url": "https://example.com/q3-v2", "notes": "typo fixed"},
    )
    assert response.status_code == 302
    page = client.get(f"/console/assets/{asset.uuid}/").content.decode()
    assert "v2" in page and "typo fixed" in page and "v1" in page


def test_console_upload_of_disguised_executable_shows_form_error(acme, settings):
    client = acme.client(acme.admin)
    response = client.post(
        "/console/assets/",
        {"title": "Evil", "type": "datasheet", "language": "en", "file": renamed_exe()},
    )
    assert response.status_code == 400
    assert "This file type is not allowed" in response.content.decode()
    assert 'value="Evil"' in response.content.decode()  # the rest of the form is kept
    with tenant_context(acme.tenant):
        from enablement.assets.models import Asset

        assert not Asset.objects.filter(title="Evil").exists()
    asset = f.AssetFactory(tenant=acme.tenant)
    response = client.post(
        f"/console/assets/{asset.uuid}/", {"action": "version", "file": f.elf_disguised_as_pdf()}
    )
    assert response.status_code == 400
    assert "This file type is not allowed" in response.content.decode()
    assert stored_files(settings.MEDIA_ROOT) == []


def test_console_list_shows_download_counts_and_is_read_only_for_executives(acme, globex):
    asset = file_asset(acme, title="Counted")
    partner = acme.client(acme.partner_sales)
    for _ in range(3):
        partner.get(f"/portal/assets/{asset.uuid}/download/")
    file_asset(globex, title="Globex asset")
    client = acme.client(acme.executive)
    response = client.get("/console/assets/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Counted" in page and "Globex asset" not in page
    assert '<td class="text-end">3</td>' in page
    assert "Create asset" not in page
    assert client.post("/console/assets/", {"title": "x", "type": "deck"}).status_code == 403
    assert acme.client(acme.sales).get("/console/assets/").status_code == 403
    assert acme.client(acme.partner_admin).get("/console/assets/").status_code == 403


def test_console_asset_detail_trio(acme, globex):
    asset = f.AssetFactory(tenant=acme.tenant, title="Editable")
    theirs = f.AssetFactory(tenant=globex.tenant)
    admin = acme.client(acme.admin)
    response = admin.post(
        f"/console/assets/{asset.uuid}/",
        {"action": "update", "title": "Edited", "type": "video", "language": "de"},
    )
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        asset.refresh_from_db()
    assert (asset.title, asset.type, asset.language) == ("Edited", "video", "de")
    assert admin.get(f"/console/assets/{theirs.uuid}/").status_code == 404
    executive = acme.client(acme.executive)
    assert executive.get(f"/console/assets/{asset.uuid}/").status_code == 200
    response = executive.post(f"/console/assets/{asset.uuid}/", {"action": "delete"})
    assert response.status_code == 403


def test_console_playbook_stage_crud_and_assets(acme, globex):
    admin = acme.client(acme.admin)
    response = admin.post("/console/playbook/", {"name": "Discover", "position": 2})
    assert response.status_code == 302
    stage_url = response["Location"]
    asset = f.AssetFactory(tenant=acme.tenant, title="Discovery questions")
    response = admin.post(
        stage_url, {"action": "add_asset", "asset": str(asset.uuid), "position": 1, "note": "Use"}
    )
    assert response.status_code == 302
    page = admin.get("/console/playbook/").content.decode()
    assert "Discover" in page and "Discovery questions" in page
    theirs = f.AssetFactory(tenant=globex.tenant)
    response = admin.post(stage_url, {"action": "add_asset", "asset": str(theirs.uuid)})
    assert response.status_code == 400  # another tenant's asset is not a choice
    other_stage = f.PlaybookStageFactory(tenant=globex.tenant)
    assert admin.get(f"/console/playbook/{other_stage.uuid}/").status_code == 404
    executive = acme.client(acme.executive)
    assert executive.get(stage_url).status_code == 200
    assert executive.post(stage_url, {"action": "delete"}).status_code == 403
    assert acme.client(acme.partner_admin).get("/console/playbook/").status_code == 403


@pytest.mark.parametrize("url", ["/console/assets/", "/console/playbook/"])
def test_console_query_counts_do_not_grow_with_data(acme, url):
    from partners.models import Tier

    with tenant_context(acme.tenant):
        tier = Tier.objects.create(name="Gold", rank=1)
    client = acme.client(acme.executive)

    def make(n):
        for _ in range(n):
            stage = f.PlaybookStageFactory(tenant=acme.tenant)
            asset = f.AssetFactory(tenant=acme.tenant, stage=stage, tiers=[tier])
            f.AssetVersionFactory(tenant=acme.tenant, asset=asset)
            with tenant_context(acme.tenant):
                PlaybookStageAsset.objects.create(stage=stage, asset=asset)
                AssetEvent.objects.create(asset=asset, kind="download")

    make(2)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    make(10)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_library_shows_each_assets_newest_version_and_offers_its_products_and_languages(acme):
    _assets_with_versions(acme, 4)
    f.AssetFactory(tenant=acme.tenant, title="Library asset without versions", product="")
    client = acme.client(acme.partner_sales)
    response = client.get("/portal/assets/")
    page = response.content.decode()
    # asset i has 1 + i % 4 versions; an even newest number is a file (Download), odd a link.
    for i, label in enumerate(["Open · v1", "Download · v2", "Open · v3", "Download · v4"]):
        block = page.split(f"Library asset {i:03d}", 1)[1].split("list-group-item", 1)[0]
        assert label in block
    block = page.split("Library asset without versions", 1)[1].split("list-group-item", 1)[0]
    assert " · v" not in block
    form = response.context["listing"].filterset.form
    assert [c for c, _l in form.fields["product"].choices] == [
        "",
        "Product 0",
        "Product 1",
        "Product 2",
    ]
    assert [str(label) for _c, label in form.fields["language"].choices] == [
        "All languages",
        "German",
        "English",
        "French",
    ]
    rows = client.get("/portal/assets/?format=csv")
    text = b"".join(rows.streaming_content).decode()
    assert "Library asset 003" in text and ",4," in text.split("Library asset 003", 1)[1]


def test_library_reads_only_the_newest_versions_in_a_flat_exact_number_of_queries(acme):
    """3 or 30 assets of up to 4 versions: the same 11 queries, among them one for the filters'
    products and languages together and one for the page's newest versions (not every
    version of the page's assets)."""
    client = acme.client(acme.partner_sales)
    stage = f.PlaybookStageFactory(tenant=acme.tenant)
    _assets_with_versions(acme, 3, stage=stage)
    client.get("/portal/assets/")

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/portal/assets/").status_code == 200
        return queries

    few = count()
    _assets_with_versions(acme, 27, start=3, stage=stage)
    many = count()
    assert len(few) == len(many) == 9 + SESSION_QUERIES
    versions = [q["sql"] for q in many if 'FROM "assets_assetversion"' in q["sql"]]
    assert len(versions) == 1 and "NOT EXISTS" in versions[0]
    with tenant_context(acme.tenant):
        from enablement.assets.models import AssetVersion

        assert AssetVersion.objects.count() > 25  # more versions than the page's 25 assets
