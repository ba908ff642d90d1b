"""MDF API: each area registers its viewsets (funds and allocations, requests, claims, payouts
and the partner's balance)."""

from . import claims, funds, payouts, requests


def register(router) -> None:
    for area in (funds, requests, claims, payouts):
        area.register(router)
