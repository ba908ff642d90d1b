"""Console → Assets: views and downloads are events, counted once each however many versions the
asset has."""

from __future__ import annotations

from enablement.assets import selectors
from enablement.assets.models import AssetEvent, EventKind
from enablement.assets.tests import factories as f
from tenancy.access import actor_for_user
from tenancy.context import tenant_context


def test_views_and_downloads_count_each_event_once_with_two_versions(acme):
    with tenant_context(acme.tenant):
        asset = f.AssetFactory(tenant=acme.tenant, title="Two versions")
        v1 = f.AssetVersionFactory(tenant=acme.tenant, asset=asset, number=1)
        v2 = f.AssetVersionFactory(tenant=acme.tenant, asset=asset, number=2)
        single = f.AssetFactory(tenant=acme.tenant, title="One version")
        f.AssetVersionFactory(tenant=acme.tenant, asset=single, number=1)
        # Two asset views, three downloads (one of v1, two of v2); one view of the other asset.
        for kind, version in [
            (EventKind.VIEW, None),
            (EventKind.VIEW, None),
            (EventKind.DOWNLOAD, v1),
            (EventKind.DOWNLOAD, v2),
            (EventKind.DOWNLOAD, v2),
        ]:
            AssetEvent.objects.create(
                tenant=acme.tenant, asset=asset, version=version, kind=kind, user=acme.partner_sales
            )
        AssetEvent.objects.create(
            tenant=acme.tenant, asset=single, kind=EventKind.VIEW, user=acme.partner_sales
        )
        rows = {
            a.title: a for a in selectors.console_assets(actor_for_user(acme.admin, acme.tenant))
        }
    assert (rows["Two versions"].version_count, rows["Two versions"].view_count) == (2, 2)
    assert rows["Two versions"].download_count == 3
    assert (rows["One version"].view_count, rows["One version"].download_count) == (1, 0)
