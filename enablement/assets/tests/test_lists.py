"""Asset lists (console and portal) through tenancy.common.lists.list_page: pages, filters with
field errors, sorting, CSV export of everything matching, flat query counts, access trio."""

from __future__ import annotations

import csv
import io

from django.db import connection
from django.test.utils import CaptureQueriesContext

from enablement.assets.models import AssetEvent, EventKind
from enablement.assets.tests import factories as f
from tenancy.context import tenant_context


def _rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def _library(world, n=30):
    with tenant_context(world.tenant):
        for i in range(n):
            asset = f.AssetFactory(
                tenant=world.tenant,
                title=f"Asset {i:02d}",
                product="Edge" if i % 3 == 0 else "Cloud",
                type="datasheet" if i % 2 else "deck",
                partner_types=["reseller"] if i == 1 else [],
            )
            f.AssetVersionFactory(tenant=world.tenant, asset=asset, number=1)
        f.AssetFactory(tenant=world.tenant, title="Draft thing", is_published=False)


def test_console_assets_page_filter_sort_and_csv(acme):
    _library(acme)
    client = acme.client(acme.admin)
    page = client.get("/console/assets/")
    assert page.status_code == 200
    assert page.context["listing"].page.count == 31
    body = client.get("/console/assets/?product=Edge&sort=-title").content.decode()
    assert "Asset 27" in body and "Asset 01" not in body
    assert body.index("Asset 27") < body.index("Asset 24")
    assert "Reseller" in client.get("/console/assets/?q=Asset 01").content.decode()
    drafts = client.get("/console/assets/?published=no")
    assert [a.title for a in drafts.context["listing"].page] == ["Draft thing"]
    bad = client.get("/console/assets/?type=bogus")
    assert bad.context["listing"].page.count == 0
    assert bad.context["listing"].form.errors["type"]
    export = client.get("/console/assets/?product=Edge&format=csv")
    rows = _rows(export)
    assert rows[0][:3] == ["Title", "Type", "Product"] and "Downloads" in rows[0]
    assert len(rows) == 1 + 10  # every matching asset, not one page


def test_console_assets_views_downloads_sort_by_event_counts(acme):
    with tenant_context(acme.tenant):
        quiet = f.AssetFactory(tenant=acme.tenant, title="Quiet")
        busy = f.AssetFactory(tenant=acme.tenant, title="Busy")
        for version in (1, 2):
            f.AssetVersionFactory(tenant=acme.tenant, asset=busy, number=version)
        for _i in range(3):
            AssetEvent.objects.create(tenant=acme.tenant, asset=busy, kind=EventKind.DOWNLOAD)
        AssetEvent.objects.create(tenant=acme.tenant, asset=quiet, kind=EventKind.DOWNLOAD)
    response = acme.client(acme.admin).get("/console/assets/?sort=-downloads&format=csv")
    rows = _rows(response)
    column = rows[0].index("Downloads")
    assert [(r[0], r[column]) for r in rows[1:]] == [("Busy", "3"), ("Quiet", "1")]


def test_console_assets_queries_do_not_grow(acme):
    _library(acme, n=3)
    client = acme.client(acme.admin)
    with CaptureQueriesContext(connection) as few:
        client.get("/console/assets/")
    _library(acme, n=20)
    with CaptureQueriesContext(connection) as many:
        client.get("/console/assets/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_console_assets_wrong_role_403_other_tenant_sees_none(acme, globex):
    _library(acme, n=2)
    assert acme.client(acme.partner_admin).get("/console/assets/").status_code == 403
    assert acme.client(acme.sales).get("/console/assets/?format=csv").status_code == 403
    rows = _rows(globex.client(globex.admin).get("/console/assets/?format=csv"))
    assert rows == [rows[0]]  # another tenant's export is empty


def test_portal_assets_page_filter_sort_and_csv(acme, globex):
    _library(acme)
    client = acme.client(acme.partner_sales)
    first = client.get("/portal/assets/")
    listing = first.context["listing"]
    assert listing.page.count == 30  # no draft
    assert len(listing.page.object_list) == 25 and "Page 1 of 2" in first.content.decode()
    second = client.get("/portal/assets/?page=2&sort=title")
    assert [a.title for a in second.context["listing"].page] == [
        f"Asset {i}" for i in range(25, 30)
    ]
    rows = _rows(client.get("/portal/assets/?type=datasheet&format=csv"))
    assert len(rows) == 1 + 15 and rows[0][0] == "Title"
    assert "Draft thing" not in {r[0] for r in rows}
    assert client.get("/portal/assets/?stage=not-a-uuid").context["listing"].form.errors["stage"]
    assert acme.client(acme.sales).get("/portal/assets/").status_code == 403
    other = globex.client(globex.partner_sales).get("/portal/assets/?format=csv")
    assert len(_rows(other)) == 1
