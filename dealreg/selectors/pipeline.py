"""The partner pipeline (list, board, CSV): the actor's registrations, filtered, with the SLA
state computed in Python over the page (one rules query, no per-row queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..models import DealRegistration, DealStatus, SalesStage
from ..services.rules import deal_rules
from ..services.sla import sla_state
from .registration import deals_for

BOARD_COLUMNS = (
    DealStatus.SUBMITTED,
    DealStatus.UNDER_REVIEW,
    DealStatus.APPROVED,
    DealStatus.WON,
    DealStatus.LOST,
)
BOARD_CARDS_PER_COLUMN = 50
BOARD_MAX_ROWS = 1000  # newest first; a column shows its newest 50
CSV_MAX_ROWS = 10000

# What the list and board pages show of a registration, plus what its SLA state reads: they load
# these columns only, not every column with the partner, submitter, account and approver joined
# (building those model instances was most of the board's time at 1,000 rows).
PAGE_FIELDS = (
    "uuid",
    "customer_name",
    "customer_domain",
    "expected_close_date",
    "estimated_value",
    "currency",
    "status",
    "sales_stage",
    "next_step",
    "manager_notes",
    "expires_at",
    "sla_due_at",
    "decided_at",
    "approved_at",
)


@dataclass(frozen=True)
class PipelineFilters:
    status: str = ""
    stage: str = ""
    expiring_days: int | None = None
    q: str = ""

    @classmethod
    def from_params(cls, params) -> PipelineFilters:
        status = params.get("status", "")
        stage = params.get("stage", "")
        try:
            days = int(params.get("expiring", ""))
        except ValueError:
            days = None
        return cls(
            status=status if status in DealStatus.values else "",
            stage=stage if stage in SalesStage.values else "",
            expiring_days=days if days is not None and 0 <= days <= 3650 else None,
            q=params.get("q", "").strip()[:100],
        )


def pipeline_for(actor, filters: PipelineFilters | None = None) -> QuerySet[DealRegistration]:
    filters = filters or PipelineFilters()
    qs = deals_for(actor).select_related("account", "assigned_to")
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.stage:
        qs = qs.filter(sales_stage=filters.stage)
    if filters.expiring_days is not None:
        now = timezone.now()
        qs = qs.filter(
            status=DealStatus.APPROVED,
            expires_at__gte=now,
            expires_at__lte=now + timedelta(days=filters.expiring_days),
        )
    if filters.q:
        qs = qs.filter(
            Q(customer_name__icontains=filters.q)
            | Q(customer_domain__icontains=filters.q)
            | Q(next_step__icontains=filters.q)
        )
    return qs


def pipeline_page(actor, filters: PipelineFilters | None = None) -> QuerySet[DealRegistration]:
    """`pipeline_for` narrowed to PAGE_FIELDS, for the list and board pages (the CSV and the API
    keep whole rows: they show more)."""
    return pipeline_for(actor, filters).select_related(None).only(*PAGE_FIELDS)


def with_sla(deals) -> list[DealRegistration]:
    """Set `sla` on each registration (SLA state for pending/decided ones)."""
    deals = list(deals)
    if not deals:
        return deals
    rules = deal_rules()
    now = timezone.now()
    for deal in deals:
        deal.sla = sla_state(deal, now, rules=rules)
    return deals


def board(actor, filters: PipelineFilters | None = None) -> list[tuple[str, str, list]]:
    """[(status, label, cards)] for the board's columns; one query for all of them."""
    filters = filters or PipelineFilters()
    deals = with_sla(
        pipeline_page(actor, filters).filter(status__in=BOARD_COLUMNS)[:BOARD_MAX_ROWS]
    )
    columns = {status: [] for status in BOARD_COLUMNS}
    for deal in deals:
        if len(columns[deal.status]) < BOARD_CARDS_PER_COLUMN:
            columns[deal.status].append(deal)
    return [(status, DealStatus(status).label, columns[status]) for status in BOARD_COLUMNS]
