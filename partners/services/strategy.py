"""strategy: services."""
