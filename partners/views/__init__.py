"""Partner program: one module per area (organization, ipp, tiers, roe, strategy, imports)."""
