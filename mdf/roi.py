"""MDF return on investment: what each funded activity cost and what it brought back.

One selector per metric, each over a queryset of funded activities (FundRequest rows the caller
already scoped) or their shared facts read once (`funded()`: ids, committed amounts, campaigns,
claims), returning {activity id: value}; every page, CSV and API composes these, never its own
sums. All money is in the program currency.

- **Spend**: the approved amount of the activity's claim once the claim is approved (or paid);
  before that, the amount approved for the activity (committed). Revenue from an activity whose
  claim is still open is thus set against what it will cost, not against nothing.
- **Leads**: the leads its co-branded campaigns captured (counted by us). An activity without a
  campaign (an event, say) counts the leads its approved claim reported.
- **Pipeline**: the estimated value of the open deal registrations (submitted, in review or
  approved) its captured leads became, converted with the program's exchange rates; an activity
  without a campaign counts the pipeline its approved claim reported.
- **Won revenue**: the value of the won deal registrations its leads became (converted).
- **ROI**: (won revenue − spend) ÷ spend, as a percentage rounded half up to one decimal; none
  without spend. **Cost per lead**: spend ÷ leads, half up to the cent; none without leads.

A registration in a currency without an exchange rate is left out of pipeline and won revenue
(the page says how many were).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from dealreg.models import DealStatus
from partners.services.currency import convert, exchange_rates
from partners.services.tiers import program_settings
from tenancy.access import Actor, Perm
from tenancy.common.charts import Chart, Series

from .models import Claim, ClaimStatus, FundRequest, Lead, RequestStatus
from .models.funds import ZERO

FUNDED = (RequestStatus.APPROVED, RequestStatus.CLAIMED, RequestStatus.COMPLETED)
SPENT = (ClaimStatus.APPROVED, ClaimStatus.PAID)
OPEN_DEALS = (DealStatus.SUBMITTED, DealStatus.UNDER_REVIEW, DealStatus.APPROVED)
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def funded_activities(actor: Actor) -> QuerySet[FundRequest]:
    """The funded activities the actor may see (approved, claimed or paid)."""
    from .selectors import requests_for

    if not actor.has(Perm.MDF_VIEW):
        return FundRequest.objects.none()
    return requests_for(actor).filter(status__in=FUNDED)


# --- The metrics ------------------------------------------------------------------------------


# Up to this many activities are named by id in the metrics' queries; beyond, by a sub-select
# (SQLite's limit on parameters, and a list's cost).
IDS_LISTED = 500


@dataclass
class Funded:
    """Funded activities read once for every metric: their ids (or a sub-select of them), the
    amounts approved for them, which ran a campaign, and their approved or paid claims
    (request id: approved amount, reported leads, reported pipeline)."""

    ids: list[int] | QuerySet
    committed: dict[int, Decimal]
    with_campaigns: set[int]
    claims: dict[int, tuple[Decimal, int, Decimal]]


def funded(activities: QuerySet[FundRequest] | Funded) -> Funded:
    """The activities' shared facts (3 queries); a `Funded` is returned as it is."""
    if isinstance(activities, Funded):
        return activities
    committed = dict(activities.order_by().values_list("pk", "approved_amount"))
    ids = list(committed) if len(committed) <= IDS_LISTED else activities.order_by().values("pk")
    with_campaigns = set(
        FundRequest.objects.filter(pk__in=ids, campaigns__isnull=False)
        .order_by()
        .values_list("pk", flat=True)
    )
    claims = {
        request_id: (amount, leads, pipeline)
        for request_id, amount, leads, pipeline in Claim.objects.filter(
            request__in=ids, status__in=SPENT
        ).values_list("request_id", "approved_amount", "leads", "pipeline")
    }
    return Funded(ids, committed, with_campaigns, claims)


def spend_by_activity(activities: QuerySet[FundRequest] | Funded) -> dict[int, Decimal]:
    f = funded(activities)
    return {**f.committed, **{request: claim[0] for request, claim in f.claims.items()}}


def leads_by_activity(activities: QuerySet[FundRequest] | Funded) -> dict[int, int]:
    f = funded(activities)
    captured = dict(
        Lead.objects.filter(campaign__fund_request__in=f.ids)
        .order_by()
        .values("campaign__fund_request_id")
        .annotate(n=Count("pk"))
        .values_list("campaign__fund_request_id", "n")
    )
    reported = {
        request: claim[1] for request, claim in f.claims.items() if request not in f.with_campaigns
    }
    return {**captured, **reported}


@dataclass
class DealValues:
    """What the activities' leads became, converted to the program currency: the open
    registrations' value (pipeline) and the won ones' per activity, and how many registrations
    had no exchange rate (left out)."""

    pipeline: dict[int, Decimal]
    won: dict[int, Decimal]
    unconverted: int


def deal_values(activities: QuerySet[FundRequest] | Funded) -> DealValues:
    """One read of the leads' open and won registrations and one of the exchange rates."""
    ids = funded(activities).ids
    target = program_settings().currency
    rates = exchange_rates(target)
    pipeline: dict[int, Decimal] = defaultdict(lambda: ZERO)
    won: dict[int, Decimal] = defaultdict(lambda: ZERO)
    unconverted = 0
    rows = Lead.objects.filter(
        campaign__fund_request__in=ids,
        registration__status__in=(*OPEN_DEALS, DealStatus.WON),
    ).values_list(
        "campaign__fund_request_id",
        "registration__status",
        "registration__estimated_value",
        "registration__currency",
    )
    for activity_id, status, value, currency in rows:
        converted = convert(value, currency, target, rates=rates)
        if converted is None:
            unconverted += 1
            continue
        (won if status == DealStatus.WON else pipeline)[activity_id] += converted
    return DealValues(dict(pipeline), dict(won), unconverted)


def pipeline_by_activity(
    activities: QuerySet[FundRequest] | Funded, values: DealValues | None = None
) -> dict[int, Decimal]:
    """The open registrations' value per activity; a claim's reported pipeline where the
    activity ran no campaign."""
    f = funded(activities)
    from_deals = (values or deal_values(f)).pipeline
    reported = {
        request: claim[2] for request, claim in f.claims.items() if request not in f.with_campaigns
    }
    return {**from_deals, **reported}


def won_by_activity(
    activities: QuerySet[FundRequest] | Funded, values: DealValues | None = None
) -> dict[int, Decimal]:
    return (values or deal_values(activities)).won


def unconverted_deals(
    activities: QuerySet[FundRequest] | Funded, values: DealValues | None = None
) -> int:
    """How many of the activities' deal registrations have no exchange rate (left out)."""
    return (values or deal_values(activities)).unconverted


def roi_percent(spend: Decimal, won: Decimal) -> Decimal | None:
    if not spend:
        return None
    return ((won - spend) * 100 / spend).quantize(TENTH, rounding=ROUND_HALF_UP)


def cost_per_lead(spend: Decimal, leads: int) -> Decimal | None:
    if not leads:
        return None
    return (spend / leads).quantize(CENT, rounding=ROUND_HALF_UP)


# --- Rows for pages, CSV and API ---------------------------------------------------------------


@dataclass
class RoiRow:
    key: object  # the activity, the partner or the activity type
    label: str
    spend: Decimal = ZERO
    leads: int = 0
    pipeline: Decimal = ZERO
    won: Decimal = ZERO
    activities: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def roi(self) -> Decimal | None:
        return roi_percent(self.spend, self.won)

    @property
    def cost_per_lead(self) -> Decimal | None:
        return cost_per_lead(self.spend, self.leads)

    def add(self, other: RoiRow) -> None:
        self.spend += other.spend
        self.leads += other.leads
        self.pipeline += other.pipeline
        self.won += other.won
        self.activities += other.activities


@dataclass
class RoiReport:
    by_activity: list[RoiRow]
    by_partner: list[RoiRow]
    by_type: list[RoiRow]
    total: RoiRow
    unconverted: int


@dataclass
class _PerActivity:
    spend: dict[int, Decimal]
    leads: dict[int, int]
    pipeline: dict[int, Decimal]
    won: dict[int, Decimal]
    unconverted: int


def _per_activity(facts: Funded) -> _PerActivity:
    values = deal_values(facts)
    return _PerActivity(
        spend=spend_by_activity(facts),
        leads=leads_by_activity(facts),
        pipeline=pipeline_by_activity(facts, values),
        won=won_by_activity(facts, values),
        unconverted=values.unconverted,
    )


def roi_total(activities: QuerySet[FundRequest]) -> RoiRow:
    """The activities' metrics summed (a partner's MDF return on its scorecard): the same facts
    as `roi_report`'s total, without reading the activities themselves (7 queries: the committed
    amounts, campaigns, claims, leads, the leads' deals, the exchange rates, the currency)."""
    facts = funded(activities)
    m = _per_activity(facts)
    return RoiRow(
        key=None,
        label="",
        spend=sum((amount or ZERO for amount in m.spend.values()), ZERO),
        leads=sum(m.leads.values()),
        pipeline=sum(m.pipeline.values(), ZERO),
        won=sum(m.won.values(), ZERO),
        activities=len(facts.committed),
    )


def roi_report(activities: QuerySet[FundRequest]) -> RoiReport:
    """Every metric per activity, and summed per partner, per activity type and in all."""
    activities = activities.select_related("partner").order_by("-starts_on", "title")
    m = _per_activity(funded(activities))
    spend, leads, pipeline, won = m.spend, m.leads, m.pipeline, m.won
    rows = [
        RoiRow(
            key=activity,
            label=activity.title,
            spend=spend.get(activity.pk) or ZERO,
            leads=leads.get(activity.pk, 0),
            pipeline=pipeline.get(activity.pk, ZERO),
            won=won.get(activity.pk, ZERO),
            activities=1,
        )
        for activity in activities
    ]
    by_partner: dict[int, RoiRow] = {}
    by_type: dict[str, RoiRow] = {}
    total = RoiRow(key=None, label="")
    for row in rows:
        activity = row.key
        by_partner.setdefault(
            activity.partner_id, RoiRow(key=activity.partner, label=activity.partner.name)
        ).add(row)
        by_type.setdefault(
            activity.activity_type,
            RoiRow(key=activity.activity_type, label=activity.get_activity_type_display()),
        ).add(row)
        total.add(row)
    return RoiReport(
        by_activity=rows,
        by_partner=sorted(by_partner.values(), key=lambda r: (-r.won, r.label)),
        by_type=sorted(by_type.values(), key=lambda r: (-r.spend, r.label)),
        total=total,
        unconverted=m.unconverted,
    )


def program_currency() -> str:
    return program_settings().currency


def roi_chart(report: RoiReport) -> Chart:
    """Spend against pipeline and won revenue, per activity type (the ROI page's chart)."""
    rows = report.by_type
    return Chart(
        key="mdf-roi",
        title=_("Return by activity type"),
        categories=[row.label for row in rows],
        series=[
            Series(_("Spend"), [row.spend for row in rows], "#adb5bd"),
            Series(_("Pipeline"), [row.pipeline for row in rows], "#0d6efd"),
            Series(_("Won revenue"), [row.won for row in rows], "#198754"),
        ],
        unit=program_currency(),
    )
