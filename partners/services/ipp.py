"""ipp: services."""
