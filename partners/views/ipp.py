"""ipp: views."""
