"""The demo library: ~30 assets per tenant, a five-stage playbook, events; idempotent."""

import io

import pypdf
import pytest

from enablement.assets import demo, selectors
from enablement.assets.models import Asset, AssetEvent, AssetVersion, PlaybookStage
from prm.demo import seed_demo
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.demo import STAFF
from tenancy.models import Membership, Tenant, User
from tenancy.roles import Role


@pytest.mark.django_db
def test_demo_seeds_library_and_playbook_per_tenant_idempotently():
    seed_demo()
    for tenant in Tenant.objects.filter(slug__in=["acme", "globex"]):
        with tenant_context(tenant):
            staff = {
                local: User.objects.get(email=f"{local}@{tenant.slug}.example")
                for local, _, _ in STAFF
            }
            demo.seed(tenant, staff=staff)
            demo.seed(tenant, staff=staff)
            assert 28 <= Asset.objects.count() <= 35
            assert list(PlaybookStage.objects.values_list("name", flat=True)) == [
                "Qualify",
                "Discover",
                "Propose",
                "Negotiate",
                "Close",
            ]
            # Every version is a real stored file (no link anywhere, least of all example.com),
            # and each one is a PDF that opens: decks as 16:9 slides, documents as A4 pages.
            assert not AssetVersion.objects.filter(file="").exists()
            assert not AssetVersion.objects.exclude(url="").exists()
            assert AssetVersion.objects.filter(number=2).exists()
            for version in AssetVersion.objects.select_related("asset"):
                assert version.content_type == "application/pdf"
                with version.file.open("rb") as handle:
                    reader = pypdf.PdfReader(io.BytesIO(handle.read()), strict=True)
                assert version.asset.title in reader.pages[0].extract_text()
                landscape = reader.pages[0].mediabox.width > reader.pages[0].mediabox.height
                assert landscape == (version.asset.type == "deck"), version.asset.title
            assert AssetEvent.objects.filter(kind="download").exists()
            presales = Membership.objects.filter(role=Role.PARTNER_PRESALES).first()
            sales = Membership.objects.filter(role=Role.PARTNER_SALES).first()
            seen = {
                m.role: set(selectors.assets_visible_to(actor_for_user(m.user, tenant)))
                for m in (presales, sales)
            }
            assert seen[Role.PARTNER_SALES] - seen[Role.PARTNER_PRESALES]
            stages = list(selectors.playbook_stages(actor_for_user(sales.user, tenant)))
            assert all(stage.visible_links for stage in stages)
        _portal_pages_link_real_files(tenant, sales)


def _portal_pages_link_real_files(tenant, sales):
    """The library, each detail page and each download: real PDFs, never an example.com link."""
    from django.test import Client
    from django.urls import reverse

    with tenant_context(tenant):
        assets = list(selectors.assets_visible_to(actor_for_user(sales.user, tenant)))
    client = Client(HTTP_HOST=f"{tenant.slug}.localhost")
    client.force_login(sales.user)
    library = client.get(reverse("portal_assets"))
    assert library.status_code == 200 and "example.com" not in library.content.decode()
    for asset in assets:
        page = client.get(reverse("portal_asset_detail", args=[asset.uuid]))
        assert "example.com" not in page.content.decode()
        download = client.get(reverse("asset_download", args=[asset.uuid]))
        assert download.status_code == 200, asset.title
        assert download["Content-Type"] == "application/pdf"
