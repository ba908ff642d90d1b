"""Reads of onboarding progress: one partner's checklist and the console's onboarding funnel.

The funnel is computed from the Milestone table in a fixed number of queries whatever the number
of partners: the partners in scope (one query), their milestones refreshed from the sources (a
fixed number per source) and read back (one query); the arithmetic runs in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from partners.models import PartnerOrganization
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.common.numbers import percent, round_half_up

from ..models import Milestone, MilestoneKey
from ..services.progress import HOW_TO, milestones_refresh, partner_milestones

K = MilestoneKey
STEPS: tuple[str, ...] = tuple(K.values)  # checklist / funnel order
# "How to" pages not every partner role may open: without the permission the checklist shows the
# text without a link (someone else in the organisation does that step).
LINK_PERMS: dict[str, Perm] = {
    "portal_setup_wizard": Perm.PARTNER_PROFILE_EDIT,
    "portal_team": Perm.PARTNER_TEAM_MANAGE,
    "portal_agreement": Perm.AGREEMENT_SIGN,
    "portal_deal_register": Perm.DEALS_REGISTER,
}


# --- Checklist -----------------------------------------------------------------------------------


@dataclass
class ChecklistItem:
    key: str
    label: str
    reached_at: datetime | None
    how: str
    url: str

    @property
    def done(self) -> bool:
        return self.reached_at is not None


@dataclass
class Checklist:
    items: list[ChecklistItem]

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 100

    @property
    def complete(self) -> bool:
        return self.done_count == self.total


def _how_url(key: str, actor: Actor | None) -> str:
    url_name = HOW_TO[key][1]
    perm = LINK_PERMS.get(url_name)
    if actor is not None and perm is not None and not actor.has(perm):
        return ""
    try:
        return reverse(url_name) if url_name else ""
    except NoReverseMatch:  # NOTE: a page not (yet) installed: show the text without a link
        return ""


def partner_checklist(
    partner: PartnerOrganization, actor: Actor | None = None, *, recheck_reached: bool = True
) -> Checklist:
    """The partner's onboarding checklist, in MilestoneKey order (refreshed from the sources).
    With `actor`, "how to" links only to pages the actor may open. `recheck_reached=False`:
    only the unfinished steps are asked of their sources (see `partner_milestones`)."""
    reached = partner_milestones(partner, recheck_reached=recheck_reached)
    return Checklist(
        items=[
            ChecklistItem(
                key=key,
                label=str(K(key).label),
                reached_at=reached.get(key),
                how=str(HOW_TO[key][0]),
                url=_how_url(key, actor),
            )
            for key in STEPS
        ]
    )


# --- Funnel --------------------------------------------------------------------------------------


MICROSECONDS_PER_DAY = Decimal(86_400_000_000)


def _days(later: datetime, earlier: datetime) -> Decimal:
    """Days from one step to the next, exactly, and negative when the step is dated before the
    one it follows (a first deal before the 101 while the gate was off, a colleague invited
    before signing): the data says so, and the funnel flags those partners."""
    return Decimal((later - earlier) // timedelta(microseconds=1)) / MICROSECONDS_PER_DAY


def _median(values: list[Decimal]) -> float | None:
    """The true median (of an even count: the mean of the middle two), to 0.1 day, half up."""
    return float(round_half_up(median(values), 1)) if values else None


def _out_of_order(dates: dict[str, datetime]) -> list[str]:
    """The steps this partner reached before a step that comes earlier in the funnel."""
    late, latest = [], None
    for key in STEPS:
        at = dates.get(key)
        if at is None:
            continue
        if latest is not None and at < latest:
            late.append(key)
        latest = at if latest is None else max(latest, at)
    return late


@dataclass
class FunnelStep:
    key: str
    label: str
    reached: int
    percent_of_signed: float
    median_days_from_previous: float | None
    median_days_from_signature: float | None
    # Partners who reached this step before the previous one (a negative interval).
    before_previous: int = 0


@dataclass
class FunnelPartner:
    uuid: str
    name: str
    manager: str  # the channel manager's e-mail address ("" without one)
    dates: dict[str, datetime]  # step key → reached_at
    out_of_order: list[str] = field(default_factory=list)  # step keys dated too early
    manager_name: str = ""  # their name, for the page

    @property
    def steps(self) -> list[datetime | None]:
        return [self.dates.get(key) for key in STEPS]

    @property
    def cells(self) -> list[tuple[datetime | None, bool]]:
        """(reached_at, dated before an earlier step) per step, in funnel order."""
        return [(self.dates.get(key), key in self.out_of_order) for key in STEPS]


@dataclass
class Funnel:
    signed: int
    steps: list[FunnelStep] = field(default_factory=list)
    partners: list[FunnelPartner] = field(default_factory=list)

    @property
    def out_of_order_count(self) -> int:
        """Partners with a step dated before one that comes earlier in the funnel."""
        return sum(1 for partner in self.partners if partner.out_of_order)

    @property
    def median_days_to_first_deal(self) -> float | None:
        return next(
            (s.median_days_from_signature for s in self.steps if s.key == K.FIRST_DEAL), None
        )


def empty_funnel() -> Funnel:
    """The funnel of no partner (what invalid filters show, never "everything" instead)."""
    return Funnel(
        signed=0,
        steps=[
            FunnelStep(
                key=key,
                label=str(K(key).label),
                reached=0,
                percent_of_signed=0.0,
                median_days_from_previous=None,
                median_days_from_signature=None,
            )
            for key in STEPS
        ],
    )


def onboarding_funnel(
    actor: Actor,
    *,
    signed_from: date | None = None,
    signed_to: date | None = None,
    manager_id: int | None = None,
) -> Funnel:
    """For the partners in the actor's scope who signed the agreement (signature date within
    [signed_from, signed_to] when given; of one channel manager when given): how many reached
    each step, the share of the signed, the median days from the previous step and from the
    signature (over the partners that reached both; negative where a step is dated before the
    one it follows, and those partners are flagged, never hidden)."""
    partners_qs = access.scope_partner_organizations(actor, PartnerOrganization.objects.all())
    if manager_id is not None:
        partners_qs = partners_qs.filter(channel_manager_id=manager_id)
    partners = {
        row["pk"]: row
        for row in partners_qs.values(
            "pk", "uuid", "name", "channel_manager__email", "channel_manager__full_name"
        )
    }
    milestones_refresh(list(partners))
    dates: dict[int, dict[str, datetime]] = {}
    for partner_id, key, reached_at in Milestone.objects.filter(
        partner_id__in=list(partners)
    ).values_list("partner_id", "key", "reached_at"):
        dates.setdefault(partner_id, {})[key] = reached_at

    def signed_in_range(partner_dates: dict[str, datetime]) -> bool:
        signed_at = partner_dates.get(K.AGREEMENT_SIGNED)
        if signed_at is None:
            return False
        day = timezone.localdate(signed_at)
        return (signed_from is None or day >= signed_from) and (
            signed_to is None or day <= signed_to
        )

    cohort = {pid: d for pid, d in dates.items() if signed_in_range(d)}
    signed = len(cohort)
    steps = []
    for index, key in enumerate(STEPS):
        previous = STEPS[index - 1] if index else None
        reached = [d for d in cohort.values() if key in d]
        from_previous = [_days(d[key], d[previous]) for d in reached if previous and previous in d]
        from_signature = [_days(d[key], d[K.AGREEMENT_SIGNED]) for d in reached]
        steps.append(
            FunnelStep(
                key=key,
                label=str(K(key).label),
                reached=len(reached),
                percent_of_signed=float(percent(len(reached), signed, 1) or 0),
                median_days_from_previous=_median(from_previous) if previous else None,
                median_days_from_signature=_median(from_signature) if index else None,
                before_previous=sum(1 for days in from_previous if days < 0),
            )
        )
    rows = sorted(
        (
            FunnelPartner(
                uuid=str(partners[pid]["uuid"]),
                name=partners[pid]["name"],
                manager=partners[pid]["channel_manager__email"] or "",
                dates=d,
                out_of_order=_out_of_order(d),
                manager_name=partners[pid]["channel_manager__full_name"]
                or partners[pid]["channel_manager__email"]
                or "",
            )
            for pid, d in cohort.items()
        ),
        key=lambda p: (p.dates[K.AGREEMENT_SIGNED], p.name),
        reverse=True,
    )
    return Funnel(signed=signed, steps=steps, partners=rows)
