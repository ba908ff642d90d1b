"""Partner-program demo data, seeded per tenant in dependency order."""

from . import imports, ipp, organization, roe, strategy, tiers

AREAS = (organization, ipp, tiers, roe, strategy, imports)


def seed_tenant(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). staff maps role names ("admin", "manager", ...) to users."""
    for area in AREAS:
        area.seed(tenant, staff=staff)
