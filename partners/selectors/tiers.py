"""tiers: selectors."""
