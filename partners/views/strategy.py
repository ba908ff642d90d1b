"""strategy: views."""
