"""Cadence tasks (filled by the cadence work)."""
