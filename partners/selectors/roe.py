"""roe: selectors."""
