"""Read-only lifecycle history for analytics (the churn model's labels): who left the program,
who came back, and when. Set-based: one query, whatever the number of partners."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TypedDict

from ..models import LifecycleEvent, LifecycleState

# A partner "leaves" when it is suspended or retired after having been in the program; a
# rejected applicant (prospect/applied/approved → retired) never was.
LEFT_STATES = frozenset({LifecycleState.SUSPENDED, LifecycleState.RETIRED})
NEVER_IN_PROGRAM = frozenset(
    {LifecycleState.PROSPECT, LifecycleState.APPLIED, LifecycleState.APPROVED}
)


class LifecycleMove(TypedDict):
    partner_id: int
    from_state: str
    to_state: str
    at: datetime


def lifecycle_moves(partner_ids: Collection[int] | None = None) -> list[LifecycleMove]:
    """Every recorded move of the partners (all of the tenant's when None), oldest first."""
    qs = LifecycleEvent.objects.all()
    if partner_ids is not None:
        qs = qs.filter(partner_id__in=list(partner_ids))
    rows = qs.order_by("created_at", "id").values_list(
        "partner_id", "from_state", "to_state", "created_at"
    )
    return [
        {"partner_id": partner_id, "from_state": src, "to_state": dst, "at": at}
        for partner_id, src, dst, at in rows
    ]


def is_departure(move: LifecycleMove) -> bool:
    """A partner that was in the program left it (suspended or retired)."""
    return move["to_state"] in LEFT_STATES and move["from_state"] not in NEVER_IN_PROGRAM
