"""Batches for the scheduled sweeps (lock expiry, approval SLA): the due registrations are read
once (their ids, in order), then locked by primary key a batch at a time, with no join in the
locking SELECT; what the digests and audit rows need (partners and their channel managers,
approvers) is loaded once per batch for the rows that lack it.

A row that stops being due between the read and its batch (approved, extended, decided
meanwhile) drops out: each batch is locked through the caller's queryset, which keeps its
conditions. A row that becomes due meanwhile waits for the next run."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from partners.models import PartnerOrganization
from tenancy.models import User

from ..models import DealRegistration

BATCH = 2000


def locked_batches(
    queryset: QuerySet[DealRegistration], *, order: tuple[str, ...], size: int = BATCH
) -> Iterator[list[DealRegistration]]:
    """Successive batches of `queryset` in `order`, each locked (SELECT ... FOR UPDATE by id)."""
    ids = list(queryset.order_by(*order).values_list("pk", flat=True))
    for start in range(0, len(ids), size):
        rows = list(
            queryset.filter(pk__in=ids[start : start + size]).select_for_update().order_by(*order)
        )
        if rows:
            yield rows


def related_attach(
    rows: list[DealRegistration], field: str, source: QuerySet, loaded: dict[int, Any]
) -> None:
    """Set each row's foreign key `field` from `loaded` (pk -> object, kept by the caller across
    batches), fetching those not loaded yet from `source` in one query."""
    attname = DealRegistration._meta.get_field(field).attname
    missing = {getattr(row, attname) for row in rows} - loaded.keys() - {None}
    if missing:
        loaded.update(source.in_bulk(missing))
    for row in rows:
        pk = getattr(row, attname)
        setattr(row, field, loaded[pk] if pk is not None else None)


def partners_attach(rows: list[DealRegistration], loaded: dict[int, Any]) -> None:
    """Each row's partner with its channel manager (the digests' reply-to)."""
    related_attach(
        rows, "partner", PartnerOrganization.objects.select_related("channel_manager"), loaded
    )


def approvers_attach(rows: list[DealRegistration], loaded: dict[int, Any]) -> None:
    """Each row's assigned approver (the escalation's audit row)."""
    related_attach(rows, "assigned_to", User.objects.all(), loaded)
