"""roe: services."""
