"""roe: forms."""
