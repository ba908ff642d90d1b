"""MDF API: each area registers its viewsets (funds and allocations, requests, claims, payouts
and the partner's balance, campaigns and leads)."""

from . import campaigns, claims, funds, payouts, requests


def register(router) -> None:
    for area in (funds, requests, claims, payouts, campaigns):
        area.register(router)
