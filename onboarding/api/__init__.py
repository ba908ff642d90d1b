"""Onboarding API: each area registers its viewsets."""

from . import agreements, progress, workflow


def register(router) -> None:
    for area in (agreements, progress, workflow):
        area.register(router)
