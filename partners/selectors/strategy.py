"""strategy: selectors."""
