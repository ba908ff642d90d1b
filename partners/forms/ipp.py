"""ipp: forms."""
