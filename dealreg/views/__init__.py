"""Deal registration: one module per area."""
