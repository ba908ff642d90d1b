"""roe: views."""
