"""Tiers: reads. What a partner has versus what a tier needs, tier lists, proposals, history and
the revenue ledger, each scoped to the actor through tenancy.access.

Trailing revenue: the sum of the partner's revenue records (sourced AND influenced count alike)
booked within the last `ProgramSettings.revenue_window_months`, i.e. from the same calendar day N
months ago (exclusive) up to and including today. Records dated in the future do not count yet.
All amounts are in the program currency (the ledger refuses any other).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings as django_settings
from django.db.models import Exists, OuterRef, QuerySet, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.common.reading import read_once
from tenancy.context import require_current_tenant
from tenancy.models import Tenant

from ..models import (
    LifecycleState,
    PartnerOrganization,
    ProgramSettings,
    ProposalStatus,
    RevenueRecord,
    Tier,
    TierChange,
    TierProposal,
)

ZERO = Decimal("0")
CENTS = Decimal("0.01")
# Only partners in these states are evaluated (and hold a tier that moves).
EVALUATED_STATES = (LifecycleState.CONTRACTED, LifecycleState.ACTIVE)


# --- Program settings and tiers --------------------------------------------------------------


def program_settings_or_default() -> ProgramSettings:
    """The tenant's program settings, or unsaved defaults when none exist yet (reads never write;
    services.tiers.program_settings() creates the row). Read once per `one_reading()`."""
    return read_once(
        ("program_settings", require_current_tenant().pk),
        lambda: ProgramSettings.objects.first() or ProgramSettings(),
    )


def tier_list() -> QuerySet[Tier]:
    """Every tier of the tenant, entry tier first. Tiers are program-wide, not partner data."""
    return Tier.objects.order_by("rank")


# --- Facts about a partner --------------------------------------------------------------------


@dataclass(frozen=True)
class PartnerFacts:
    """What a partner has, as tier requirements measure it."""

    trailing_revenue: Decimal
    certified_people: int
    certifications: frozenset[str]
    currency: str
    window_months: int
    window_start: date  # first day that counts
    window_end: date  # last day that counts (today)
    # Courses + attended live sessions of its people (enablement.training); shown, not required.
    training_seconds: int = 0


def revenue_window(settings: ProgramSettings, today: date) -> tuple[date, date]:
    """First and last day of the trailing revenue window that ends `today`."""
    return today - relativedelta(months=settings.revenue_window_months) + relativedelta(
        days=1
    ), today


def trailing_revenue(
    partner: PartnerOrganization,
    *,
    settings: ProgramSettings | None = None,
    today: date | None = None,
) -> Decimal:
    settings = settings or program_settings_or_default()
    start, end = revenue_window(settings, today or timezone.localdate())
    total = RevenueRecord.objects.filter(
        partner=partner, booked_on__gte=start, booked_on__lte=end
    ).aggregate(total=Sum("amount"))["total"]
    return (total or ZERO).quantize(CENTS)


def trailing_revenue_by_partner(
    partner_ids=None, *, settings: ProgramSettings | None = None, today: date | None = None
) -> dict[int, Decimal]:
    """{partner id: trailing revenue} in one grouped query (every partner with revenue in the
    window, or those of `partner_ids`); the same window and sum as `trailing_revenue`."""
    settings = settings or program_settings_or_default()
    start, end = revenue_window(settings, today or timezone.localdate())
    rows = RevenueRecord.objects.filter(booked_on__gte=start, booked_on__lte=end)
    if partner_ids is not None:
        rows = rows.filter(partner_id__in=list(partner_ids))
    return {
        row["partner_id"]: (row["total"] or ZERO).quantize(CENTS)
        for row in rows.values("partner_id").annotate(total=Sum("amount")).order_by()
    }


def partner_facts(
    partner: PartnerOrganization,
    *,
    settings: ProgramSettings | None = None,
    today: date | None = None,
) -> PartnerFacts:
    # The certification registry lives with the services (it is configured, not read from rows).
    from ..services.tiers import certification_facts, training_seconds

    settings = settings or program_settings_or_default()
    today = today or timezone.localdate()
    start, end = revenue_window(settings, today)
    certs = certification_facts(partner)
    return PartnerFacts(
        trailing_revenue=trailing_revenue(partner, settings=settings, today=today),
        certified_people=certs.certified_people,
        certifications=frozenset(certs.certifications),
        currency=settings.currency,
        window_months=settings.revenue_window_months,
        window_start=start,
        window_end=end,
        training_seconds=training_seconds(partner),
    )


# --- Requirements -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequirementRow:
    """One requirement of a tier, measured against a partner."""

    key: str  # "revenue", "certified_people" or "certification:<name>"
    kind: str  # "money", "count" or "certification"
    label: str
    have: Decimal | int | bool
    need: Decimal | int | bool
    met: bool
    pct: int  # 0..100, for the progress bar

    @property
    def remaining(self) -> Decimal | int:
        """How much is still missing (money and counts; 0 when met)."""
        if self.kind == "certification" or self.met:
            return 0
        return self.need - self.have

    def as_reason(self) -> dict:
        """A JSON-ready form, stored in TierProposal.reasons."""
        return {
            "key": self.key,
            "kind": self.kind,
            "label": self.label,
            "have": str(self.have) if isinstance(self.have, Decimal) else self.have,
            "need": str(self.need) if isinstance(self.need, Decimal) else self.need,
            "met": self.met,
        }


def _pct(have, need) -> int:
    if not need:
        return 100
    return max(0, min(100, int(Decimal(have) * 100 / Decimal(need))))


def requirement_rows(tier: Tier, facts: PartnerFacts) -> list[RequirementRow]:
    """Every requirement of `tier` with what the partner has (all rows met = qualifies)."""
    need_revenue = tier.min_trailing_revenue or ZERO
    rows = [
        RequirementRow(
            key="revenue",
            kind="money",
            label=_("Revenue in the last %(months)s months (%(currency)s)")
            % {
                "months": facts.window_months,
                "currency": facts.currency,
            },
            have=facts.trailing_revenue,
            need=need_revenue,
            met=facts.trailing_revenue >= need_revenue,
            pct=_pct(facts.trailing_revenue, need_revenue),
        ),
    ]
    if tier.min_certified_people:  # a requirement of zero says nothing: no row for it
        rows.append(
            RequirementRow(
                key="certified_people",
                kind="count",
                label=_("Currently certified people"),
                have=facts.certified_people,
                need=tier.min_certified_people,
                met=facts.certified_people >= tier.min_certified_people,
                pct=_pct(facts.certified_people, tier.min_certified_people),
            )
        )
    for name in tier.required_certifications or []:
        held = name in facts.certifications
        rows.append(
            RequirementRow(
                key=f"certification:{name}",
                kind="certification",
                label=_("Certification: %(name)s") % {"name": name},
                have=held,
                need=True,
                met=held,
                pct=100 if held else 0,
            )
        )
    return rows


def qualifies(tier: Tier, facts: PartnerFacts) -> bool:
    return all(row.met for row in requirement_rows(tier, facts))


# --- Progress toward the next tier ------------------------------------------------------------


def next_tier_evaluation(now: datetime | None = None) -> datetime:
    """When the scheduled evaluation runs next: the first of settings.TIER_EVALUATION_HOURS_UTC
    (on the hour, UTC; the same setting builds the beat schedule) strictly after `now`."""
    now = (now or timezone.now()).astimezone(UTC)
    hours = sorted(set(django_settings.TIER_EVALUATION_HOURS_UTC))
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for days in (0, 1):
        for hour in hours:
            run = day + timedelta(days=days, hours=hour)
            if run > now:
                return run
    raise AssertionError("TIER_EVALUATION_HOURS_UTC is empty")  # pragma: no cover


def _when(moment: datetime) -> str:
    """A moment for the tier card: the one date-time format, in the current time zone, labelled."""
    local = timezone.localtime(moment)
    return f"{date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def _day(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT")


@dataclass(frozen=True)
class TierOutlook:
    """What will really happen next to a partner's tier, in words (the card and the API).

    kind: "not_evaluated" (state outside EVALUATED_STATES), "pending" (a proposal awaits a
    decision), "rejected" (the move it qualifies for was turned down and is snoozed), "scheduled"
    (the next evaluation will propose or apply a move) or "" (nothing will change)."""

    kind: str = ""
    message: str = ""
    next_evaluation: datetime | None = None


NOT_EVALUATED = {
    LifecycleState.PROSPECT: _lazy(
        "Tiers are evaluated only for contracted and active partners: a prospect has no tier yet."
    ),
    LifecycleState.APPLIED: _lazy(
        "Tiers are evaluated only for contracted and active partners: the application is still "
        "being reviewed."
    ),
    LifecycleState.APPROVED: _lazy(
        "Tiers are evaluated only for contracted and active partners: the partner is placed in "
        "its tier as soon as the agreement is signed."
    ),
    LifecycleState.SUSPENDED: _lazy(
        "Tiers are evaluated only for active partners: nothing changes while the partner is "
        "suspended."
    ),
    LifecycleState.RETIRED: _lazy(
        "Tiers are evaluated only for active partners: a retired partner is no longer evaluated."
    ),
}


def _pending_proposal(partner: PartnerOrganization) -> TierProposal | None:
    return (
        TierProposal.objects.filter(partner=partner, status=ProposalStatus.PENDING)
        .select_related("from_tier", "to_tier")
        .order_by("-created_at", "-id")
        .first()
    )


def tier_outlook(
    partner: PartnerOrganization,
    *,
    tiers: list[Tier],
    facts: PartnerFacts,
    settings: ProgramSettings,
    now: datetime | None = None,
) -> TierOutlook:
    """What the next evaluation will do for `partner` — the rules of services.tiers.evaluate_partner
    read ahead: nothing outside EVALUATED_STATES; a pending proposal stays pending until decided;
    a rejected move is snoozed for one grace period; otherwise the highest tier whose requirements
    are all met above the current one is proposed (or applied, with auto-apply)."""
    now = now or timezone.now()
    if partner.state not in EVALUATED_STATES:
        return TierOutlook("not_evaluated", str(NOT_EVALUATED.get(partner.state, "")))
    pending = _pending_proposal(partner)
    if pending is not None:
        text = (
            _("An upgrade to %(tier)s is awaiting approval (proposed %(date)s).")
            if pending.is_upgrade
            else _("A downgrade to %(tier)s is awaiting approval (proposed %(date)s).")
        )
        return TierOutlook(
            "pending", text % {"tier": pending.to_tier.name, "date": _day(pending.created_at)}
        )
    ladder = sorted(tiers, key=lambda t: t.rank)
    if not ladder:
        return TierOutlook()
    current_rank = next((t.rank for t in ladder if t.pk == partner.tier_id), 0)
    qualifying = ladder[0]
    for tier in ladder:
        if qualifies(tier, facts):
            qualifying = tier
    if qualifying.rank <= current_rank:
        return TierOutlook()  # staying (a downgrade in grace is told by the grace warning)
    run = next_tier_evaluation(now)
    if partner.tier_id is not None:
        rejected = (
            TierProposal.objects.filter(
                partner=partner,
                from_tier_id=partner.tier_id,
                to_tier=qualifying,
                status=ProposalStatus.REJECTED,
                decided_at__gte=now - timedelta(days=settings.tier_grace_period_days),
            )
            .order_by("-decided_at")
            .values_list("decided_at", flat=True)
            .first()
        )
        if rejected is not None:
            again = rejected + timedelta(days=settings.tier_grace_period_days)
            return TierOutlook(
                "rejected",
                _(
                    "All requirements of %(tier)s are met, but the upgrade was turned down on "
                    "%(date)s: it is not proposed again before %(again)s."
                )
                % {"tier": qualifying.name, "date": _day(rejected), "again": _day(again)},
                next_evaluation=run,
            )
    text = (
        _(
            "All requirements of %(tier)s are met. Next evaluation: %(when)s; it moves the partner "
            "to %(tier)s."
        )
        if settings.auto_apply_tier_changes
        else _(
            "All requirements of %(tier)s are met. Next evaluation: %(when)s; it proposes the "
            "upgrade for approval."
        )
    )
    return TierOutlook(
        "scheduled", text % {"tier": qualifying.name, "when": _when(run)}, next_evaluation=run
    )


@dataclass(frozen=True)
class TierProgress:
    """A partner's tier and what it needs for the next one (the console include and the portal).

    `rows` measure the next tier; at the top tier (`next_tier` is None) they measure the current
    tier, i.e. what it takes to keep it. `target` is the tier the rows measure.
    """

    partner: PartnerOrganization
    current_tier: Tier | None
    next_tier: Tier | None
    target: Tier | None
    rows: list[RequirementRow] = field(default_factory=list)
    facts: PartnerFacts | None = None
    below_tier_since: object = None
    grace_ends: object = None
    outlook: TierOutlook = field(default_factory=TierOutlook)

    @property
    def all_met(self) -> bool:
        return bool(self.rows) and all(row.met for row in self.rows)

    @property
    def pct(self) -> int:
        """Overall progress: the mean of the rows' percentages."""
        return sum(row.pct for row in self.rows) // len(self.rows) if self.rows else 0


def tier_progress(
    partner: PartnerOrganization, *, tiers: list[Tier] | None = None, today: date | None = None
) -> TierProgress:
    """What the partner has vs what the next tier needs (used by the detail page and the portal).

    A fixed number of queries whatever the data: the tiers, the settings, one revenue sum, the
    pending proposal (plus what the certification provider needs, and one probe for a rejected
    upgrade when one is due).
    """
    tiers = list(tiers) if tiers is not None else list(tier_list())
    settings = program_settings_or_default()
    current = next((t for t in tiers if t.pk == partner.tier_id), None)
    current_rank = current.rank if current else 0
    next_tier = next((t for t in tiers if t.rank > current_rank), None)
    target = next_tier or current
    facts = partner_facts(partner, settings=settings, today=today)
    grace_ends = None
    if partner.below_tier_since is not None:
        grace_ends = partner.below_tier_since + timezone.timedelta(
            days=settings.tier_grace_period_days
        )
    return TierProgress(
        partner=partner,
        current_tier=current,
        next_tier=next_tier,
        target=target,
        rows=requirement_rows(target, facts) if target else [],
        facts=facts,
        below_tier_since=partner.below_tier_since,
        grace_ends=grace_ends,
        outlook=tier_outlook(partner, tiers=tiers, facts=facts, settings=settings),
    )


# --- Proposals, history, ledger (scoped to the actor) -----------------------------------------


def tier_proposals_for(actor: Actor, *, status: str | None = None) -> QuerySet[TierProposal]:
    """Proposals of the partners the actor may see (channel managers: their partners)."""
    qs = access.scope_partner_owned(actor, TierProposal.objects.all()).select_related(
        "partner", "partner__channel_manager", "from_tier", "to_tier", "decided_by"
    )
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def pending_tier_proposals(actor: Actor) -> QuerySet[TierProposal]:
    return tier_proposals_for(actor, status=ProposalStatus.PENDING)


def tier_changes_for(actor: Actor, *, since) -> QuerySet[TierChange]:
    """Tier changes since a moment, of the partners the actor may see, newest first."""
    return (
        access.scope_partner_owned(actor, TierChange.objects.filter(changed_at__gte=since))
        .select_related("partner", "from_tier", "to_tier")
        .order_by("-changed_at", "-id")
    )


def tier_history(partner: PartnerOrganization, *, limit: int = 50) -> QuerySet[TierChange]:
    """A partner's tier changes, newest first (the caller has already checked access)."""
    return TierChange.objects.filter(partner=partner).select_related("from_tier", "to_tier")[:limit]


def revenue_records_for(
    actor: Actor, *, partner: PartnerOrganization | None = None
) -> QuerySet[RevenueRecord]:
    """Ledger rows the actor may see: vendor staff with partner access by partner scope; partner
    users their own organisation's."""
    if not actor.has(Perm.PARTNERS_VIEW):
        return RevenueRecord.objects.none()
    qs = access.scope_partner_owned(actor, RevenueRecord.objects.all()).select_related(
        "partner", "created_by"
    )
    if partner is not None:
        qs = qs.filter(partner=partner)
    return qs.order_by("-booked_on", "-id")


def revenue_posted(*, source: str, external_ref: str) -> bool:
    """Whether the ledger already holds the record an integration posts under `external_ref`
    (posting is once per reference: deal registration, CRM sync, imports)."""
    return RevenueRecord.objects.filter(source=source, external_ref=external_ref).exists()


def revenue_totals(partner: PartnerOrganization) -> dict[str, Decimal]:
    """All-time totals per kind for the ledger page header."""
    rows = (
        RevenueRecord.objects.filter(partner=partner)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["kind"]: row["total"] for row in rows}


# --- Beat: which tenants have due work (platform-wide, hence unscoped) ------------------------


def tenants_with_tiers_to_evaluate() -> set[int]:
    """Active tenants with a tier ladder and at least one contracted or active partner: those
    `services.tiers.evaluate_tenant` has something to evaluate in. One query (two EXISTS probes
    per tenant on tenant-first indexes)."""
    return set(
        Tenant.objects.filter(is_active=True)
        .filter(
            Exists(Tier.objects.unscoped().filter(tenant=OuterRef("pk"))),
            Exists(
                PartnerOrganization.objects.unscoped().filter(
                    tenant=OuterRef("pk"), state__in=EVALUATED_STATES
                )
            ),
        )
        .values_list("pk", flat=True)
    )
