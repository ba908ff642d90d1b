"""Registers every partner-program area's API viewsets on the shared router."""

from . import applications, currency, imports, ipp, organization, roe, strategy, tiers


def register(router) -> None:
    for area in (organization, applications, ipp, tiers, currency, roe, strategy, imports):
        area.register(router)
