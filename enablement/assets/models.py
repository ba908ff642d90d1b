"""Models of this area (being written)."""
