"""tiers: services."""
