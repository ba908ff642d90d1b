"""The demo library: ~30 assets per tenant, a five-stage playbook, events; idempotent."""

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
            assert AssetVersion.objects.exclude(file="").exists()
            assert AssetVersion.objects.filter(number=2).exists()
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
