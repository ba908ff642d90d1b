"""strategy: forms."""
