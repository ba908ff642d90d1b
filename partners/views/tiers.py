"""tiers: views."""
