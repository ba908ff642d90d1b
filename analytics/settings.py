"""The tenant's measurement settings (one row, created with the defaults on first use)."""

from __future__ import annotations

from .models import AnalyticsSettings


def analytics_settings() -> AnalyticsSettings:
    settings, _created = AnalyticsSettings.objects.get_or_create()
    return settings
