"""tiers: forms."""
