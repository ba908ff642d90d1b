"""ipp: selectors."""
