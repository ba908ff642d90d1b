"""Reads of MDF: scoped to what the actor may see (partner users their own organisation, channel
managers their partners, program staff all), loaded for the page that shows them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.common.charts import Chart, Series
from tenancy.roles import Role

from .models import (
    Allocation,
    Claim,
    ClaimFile,
    ClaimStatus,
    Fund,
    FundRequest,
    LedgerEntry,
    Payout,
    RequestEvent,
    RequestStatus,
)
from .models.funds import ZERO, entry_effects
from .models.requests import OPEN_REVIEW

COLORS = {
    "allocated": "#adb5bd",
    "held": "#ffc107",
    "committed": "#0d6efd",
    "paid": "#198754",
    "budget": "#adb5bd",
}


def requests_for(actor: Actor) -> QuerySet[FundRequest]:
    if not actor.has(Perm.MDF_VIEW):
        return FundRequest.objects.none()
    return access.scope_partner_owned(
        actor,
        FundRequest.objects.select_related("partner", "allocation__fund", "claim"),
        field="partner",
    )


ROW_FIELDS = (
    "uuid",
    "title",
    "activity_type",
    "starts_on",
    "ends_on",
    "amount",
    "approved_amount",
    "currency",
    "status",
    "submitted_at",
)


def request_rows(actor: Actor) -> QuerySet[FundRequest]:
    """Requests for a list that shows only the request's own columns (the partner's portal):
    no joins, only those fields."""
    return requests_for(actor).select_related(None).only(*ROW_FIELDS)


def request_detail(actor: Actor, request_uuid) -> FundRequest | None:
    return (
        requests_for(actor)
        .select_related("partner__channel_manager", "submitted_by", "claim__payout")
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("by")),
            Prefetch("claim__files", queryset=ClaimFile.objects.order_by("uploaded_at", "id")),
        )
        .filter(uuid=request_uuid)
        .first()
    )


def open_allocations(actor: Actor) -> QuerySet[Allocation]:
    """The actor's organisation's allocations in funds still open (not carried over), newest
    period first: what a request can draw on."""
    if actor.partner_organization_id is None:
        return Allocation.objects.none()
    return (
        Allocation.objects.filter(
            partner_id=actor.partner_organization_id, fund__carried_to__isnull=True
        )
        .select_related("fund")
        .order_by("-fund__starts_on", "fund__name")
    )


def partner_allocations(actor: Actor) -> QuerySet[Allocation]:
    """The actor's organisation's allocations, newest period first; each knows whether its fund
    is still open (`is_open`: not carried over, what `open_allocations` lists)."""
    if actor.partner_organization_id is None or not actor.has(Perm.MDF_VIEW):
        return Allocation.objects.none()
    return (
        Allocation.objects.filter(partner_id=actor.partner_organization_id)
        .select_related("fund")
        .annotate(is_open=~Exists(Fund.objects.filter(carried_from=OuterRef("fund"))))
        .order_by("-fund__starts_on", "fund__name")
    )


def proof_file(actor: Actor, file_uuid) -> ClaimFile | None:
    """A claim's proof of performance: for the partner's own MDF users and the people who
    review or pay its claims (its channel manager, program admins, marketing); nobody else."""
    if not (actor.has(Perm.MDF_REQUEST) or actor.has(Perm.MDF_DECIDE)):
        return None
    files = access.scope_partner_owned(
        actor, ClaimFile.objects.select_related("claim"), field="claim__partner"
    )
    return files.filter(uuid=file_uuid).first()


def payout_for(actor: Actor, payout_uuid) -> Payout | None:
    if not actor.has(Perm.MDF_VIEW):
        return None
    payouts = access.scope_partner_owned(
        actor,
        Payout.objects.select_related("partner", "claim__request__allocation__fund"),
        field="partner",
    )
    return payouts.filter(uuid=payout_uuid).first()


def payouts_for(actor: Actor) -> QuerySet[Payout]:
    if not actor.has(Perm.MDF_VIEW):
        return Payout.objects.none()
    return access.scope_partner_owned(
        actor,
        Payout.objects.select_related("partner", "claim__request__allocation__fund"),
        field="partner",
    )


def funds_with_totals() -> QuerySet[Fund]:
    return Fund.objects.annotate(
        allocated_total=Sum("allocations__allocated", default=ZERO),
        held_total=Sum("allocations__held", default=ZERO),
        committed_total=Sum("allocations__committed", default=ZERO),
        paid_total=Sum("allocations__paid", default=ZERO),
        partner_count=Count("allocations"),
    ).order_by("-starts_on", "name")


def fund_allocations(fund: Fund) -> QuerySet[Allocation]:
    return Allocation.objects.filter(fund=fund).select_related("partner")


# --- The board (console home of MDF) ------------------------------------------------------------


def awaiting_me(actor: Actor) -> QuerySet[FundRequest]:
    """Requests whose current step the actor decides, oldest first."""
    if not actor.has(Perm.MDF_DECIDE):
        return FundRequest.objects.none()
    steps = Q(status=RequestStatus.MANAGER_REVIEW)
    if actor.role in (Role.MARKETING, Role.PROGRAM_ADMIN):
        steps |= Q(status=RequestStatus.MARKETING_REVIEW)
    if actor.role == Role.MARKETING:
        steps = Q(status=RequestStatus.MARKETING_REVIEW)
    return requests_for(actor).filter(steps).order_by("submitted_at", "id")


def claims_awaiting_me(actor: Actor) -> QuerySet[Claim]:
    if not actor.has(Perm.MDF_DECIDE):
        return Claim.objects.none()
    return _submitted_claims(actor)


def awaiting_anyone(actor: Actor) -> QuerySet[FundRequest]:
    """Requests awaiting a decision by anyone (what a read-only role watches), oldest first."""
    return requests_for(actor).filter(status__in=OPEN_REVIEW).order_by("submitted_at", "id")


def claims_awaiting_anyone(actor: Actor) -> QuerySet[Claim]:
    if not actor.has(Perm.MDF_VIEW):
        return Claim.objects.none()
    return _submitted_claims(actor)


def _submitted_claims(actor: Actor) -> QuerySet[Claim]:
    return access.scope_partner_owned(
        actor,
        Claim.objects.filter(status=ClaimStatus.SUBMITTED).select_related(
            "partner", "request__allocation__fund"
        ),
        field="partner",
    ).order_by("submitted_at", "id")


def claims_to_pay(actor: Actor) -> QuerySet[Claim]:
    if not actor.has(Perm.MDF_MANAGE):
        return Claim.objects.none()
    return (
        Claim.objects.filter(status=ClaimStatus.APPROVED)
        .select_related("partner", "request__allocation__fund")
        .order_by("decided_at", "id")
    )


@dataclass(frozen=True)
class AgeBucket:
    label: str
    requests: int
    claims: int


def pending_by_age(actor: Actor, today: date | None = None) -> list[AgeBucket]:
    """Requests and claims waiting for a decision in the actor's scope, by days waiting."""
    now = timezone.now()
    edges = [(_("Under 2 days"), 0, 2), (_("2–7 days"), 2, 7), (_("Over a week"), 7, None)]

    def counts(qs, field: str) -> list[int]:
        result = []
        for _label, low, high in edges:
            window = Q(**{f"{field}__lte": now - relativedelta(days=low)})
            if high is not None:
                window &= Q(**{f"{field}__gt": now - relativedelta(days=high)})
            result.append(qs.filter(window).count())
        return result

    scoped_requests = requests_for(actor).filter(
        status__in=[RequestStatus.MANAGER_REVIEW, RequestStatus.MARKETING_REVIEW]
    )
    scoped_claims = access.scope_partner_owned(
        actor, Claim.objects.filter(status=ClaimStatus.SUBMITTED), field="partner"
    )
    request_counts = counts(scoped_requests, "submitted_at")
    claim_counts = counts(scoped_claims, "submitted_at")
    return [
        AgeBucket(str(label), r, c)
        for (label, _low, _high), r, c in zip(edges, request_counts, claim_counts, strict=True)
    ]


def spend_chart(funds: list[Fund]) -> Chart:
    """Budget against allocated, committed and paid, per fund (the board's chart)."""
    currency = funds[0].currency if funds else ""
    return Chart(
        key="mdf-spend",
        title=_("Spend against budget"),
        categories=[f.name for f in funds],
        series=[
            Series(_("Budget"), [f.budget for f in funds], COLORS["budget"]),
            Series(_("Committed"), [f.committed_total for f in funds], COLORS["committed"]),
            Series(_("Paid"), [f.paid_total for f in funds], COLORS["paid"]),
        ],
        unit=currency,
    )


def _month_starts(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month += relativedelta(months=1)
    return months


CHART_COLUMNS = ("allocated", "committed", "paid", "carried_out")


def balance_chart(allocation: Allocation, today: date | None = None) -> Chart:
    """The allocation over its fund's period, month by month (each month's end, up to today):
    allocated, committed (approved, not yet paid) and paid, from the ledger."""
    fund = allocation.fund
    today = today or timezone.localdate()
    months = [m for m in _month_starts(fund.starts_on, fund.ends_on) if m <= today] or [
        fund.starts_on.replace(day=1)
    ]
    # One row per month and kind of entry, summed by the database (not every entry).
    by_month = (
        LedgerEntry.objects.filter(allocation=allocation)
        .annotate(month=TruncMonth("created_at"))
        .order_by()
        .values_list("month", "kind", "released_from")
        .annotate(total=Sum("amount"))
    )
    moves: dict[date, dict[str, Decimal]] = {}
    for month, kind, released_from, total in by_month:
        key = month.date() if isinstance(month, datetime) else month
        bucket = moves.setdefault(
            key, dict.fromkeys(("allocated", "committed", "paid", "carried_out"), ZERO)
        )
        for column, sign in entry_effects(kind, released_from).items():
            if column in bucket:
                bucket[column] += sign * total
    allocated, committed, paid = [], [], []
    totals = dict.fromkeys(CHART_COLUMNS, ZERO)
    pending = sorted(moves.items())
    for month in months:
        while pending and pending[0][0] <= month:
            for column, amount in pending.pop(0)[1].items():
                totals[column] += amount
        allocated.append(totals["allocated"] - totals["carried_out"])
        committed.append(totals["committed"])
        paid.append(totals["paid"])
    return Chart(
        key=f"balance-{allocation.uuid}",
        title=_("%(fund)s, month by month") % {"fund": fund.name},
        categories=[date_format(m, "YEAR_MONTH_FORMAT") for m in months],
        series=[
            Series(_("Allocated"), allocated, COLORS["allocated"]),
            Series(_("Committed"), committed, COLORS["committed"]),
            Series(_("Paid"), paid, COLORS["paid"]),
        ],
        kind="line",
        unit=fund.currency,
    )


def request_status_counts(qs: QuerySet[FundRequest]) -> dict[str, int]:
    return dict(qs.order_by().values_list("status").annotate(n=Count("id")))


def totals_of(allocations) -> dict[str, Decimal]:
    return {
        column: sum((getattr(a, column) for a in allocations), ZERO)
        for column in ("allocated", "held", "committed", "paid", "available")
    }
