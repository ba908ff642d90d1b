"""Partner-program forms, one module per area."""
