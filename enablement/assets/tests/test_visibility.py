"""Who sees which asset: tier of the org, its partner type, the user's role (table-driven)."""

import pytest

from enablement.assets import selectors
from enablement.assets.models import AssetType
from enablement.assets.tests.factories import AssetFactory
from partners.models import PartnerOrganization, PartnerType, Tier
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.roles import Role


@pytest.fixture
def library(acme):
    with tenant_context(acme.tenant):
        silver = Tier.objects.create(name="Silver", rank=1)
        gold = Tier.objects.create(name="Gold", rank=2)
        PartnerOrganization.objects.filter(pk=acme.partner.pk).update(
            tier=gold, partner_type=PartnerType.RESELLER
        )
        PartnerOrganization.objects.filter(pk=acme.other_partner.pk).update(
            tier=None, partner_type=PartnerType.ISV
        )
    t = acme.tenant
    AssetFactory(tenant=t, title="open deck", type=AssetType.DECK)
    AssetFactory(tenant=t, title="gold only", tiers=[gold])
    AssetFactory(tenant=t, title="silver only", tiers=[silver])
    AssetFactory(tenant=t, title="gold or silver", tiers=[silver, gold])
    AssetFactory(tenant=t, title="isv only", partner_types=[PartnerType.ISV])
    AssetFactory(tenant=t, title="reseller only", partner_types=[PartnerType.RESELLER])
    AssetFactory(tenant=t, title="battle card default", type=AssetType.BATTLE_CARD)
    AssetFactory(tenant=t, title="case study default", type=AssetType.CASE_STUDY)
    AssetFactory(
        tenant=t,
        title="battle card for tech",
        type=AssetType.BATTLE_CARD,
        partner_roles=[Role.PARTNER_PRESALES],
    )
    AssetFactory(tenant=t, title="sales datasheet", partner_roles=[Role.PARTNER_SALES])
    AssetFactory(tenant=t, title="draft", is_published=False)
    return acme


COMMON = {"open deck", "gold only", "gold or silver", "reseller only"}
MARKETING = {"battle card default", "case study default"}
EVERYTHING = (
    COMMON
    | MARKETING
    | {
        "silver only",
        "isv only",
        "battle card for tech",
        "sales datasheet",
        "draft",
    }
)


@pytest.mark.parametrize(
    "user_name, expected",
    [
        ("partner_admin", COMMON | MARKETING),
        ("partner_sales", COMMON | MARKETING | {"sales datasheet"}),
        ("partner_marketing", COMMON | MARKETING),
        # A technical user does not get marketing collateral unless it is tagged for them.
        ("partner_presales", COMMON | {"battle card for tech"}),
        # Another org: no tier (only untiered assets), ISV type.
        ("other_partner_admin", {"open deck", "isv only"} | MARKETING),
        ("admin", EVERYTHING),
        ("executive", EVERYTHING),
        ("sales", set()),  # direct sales: no program view, no portal
    ],
)
def test_user_sees_exactly_what_tier_type_and_role_allow(library, user_name, expected):
    user = getattr(library, user_name)
    with tenant_context(library.tenant):
        actor = actor_for_user(user, library.tenant)
        titles = set(selectors.assets_visible_to(actor).values_list("title", flat=True))
    assert titles == expected


def test_other_tenant_assets_are_never_visible(library, globex):
    AssetFactory(tenant=globex.tenant, title="globex deck")
    with tenant_context(library.tenant):
        actor = actor_for_user(library.admin, library.tenant)
        assert "globex deck" not in set(
            selectors.assets_visible_to(actor).values_list("title", flat=True)
        )


def test_search_assets_matches_title_description_product_within_visibility(library):
    AssetFactory(tenant=library.tenant, title="Kubernetes guide", product="Edge")
    AssetFactory(tenant=library.tenant, title="Pricing", description="all about kubernetes")
    AssetFactory(tenant=library.tenant, title="Hidden k8s", partner_types=["msp"])
    with tenant_context(library.tenant):
        actor = actor_for_user(library.partner_sales, library.tenant)
        found = set(selectors.search_assets(actor, "KUBERNETES").values_list("title", flat=True))
        by_product = set(selectors.search_assets(actor, "edge").values_list("title", flat=True))
        assert not selectors.search_assets(actor, "  ").exists()
    assert found == {"Kubernetes guide", "Pricing"}
    assert by_product == {"Kubernetes guide"}
