"""What analytics adds to the home pages (tenancy.views.*_home_panels):

- a channel manager's (and a program admin's) console home: their partners' health — this
  quarter's figures, registrations awaiting them, tier moves, certifications about to expire;
- a partner's portal home: its scorecard — its own figures this quarter, its tier's median as an
  anonymised benchmark (only with enough partners in the tier), MDF return and tier progress.

A fixed number of queries whatever the data's size: grouped sums over the rollups and a few
short, capped lists from each app's selectors."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from tenancy.access import Actor, Perm
from tenancy.common.reading import one_reading
from tenancy.roles import Role

from . import churn
from . import dashboard as composer
from .metrics import (
    FIGURES_CACHE_SECONDS,
    METRICS,
    Filters,
    change,
    figures,
    figures_key,
    period_bounds,
    period_key_for,
)
from .models import AttributionModel
from .rollups import month_of

LIST_SIZE = 5
EXPIRY_DAYS = 60
TIER_MOVES_DAYS = 90
# A tier median is shown only when at least this many partners share the tier: with fewer, it
# would come close to another partner's own figure.
MIN_PEERS = 3
PLACES = {
    "money": Decimal("0.01"),
    "ratio": Decimal("0.01"),
    "percent": Decimal("0.1"),
    "hours": Decimal("0.1"),
    "count": Decimal("0.1"),
}
MANAGER_TILES = ("revenue", "registrations", "win_rate", "certified_people")
SCORECARD_TILES = ("revenue", "registrations", "win_rate", "certified_people", "training_hours")


def this_quarter(today=None) -> tuple[Filters, str]:
    today = today or timezone.localdate()
    key = period_key_for(month_of(today))
    start, end = period_bounds(key, today)
    return Filters(start=start, end=end, model=AttributionModel.LINEAR), key


# --- A channel manager's partners ---------------------------------------------------------------


@one_reading()
def manager_panel(request, actor: Actor) -> str:
    if actor.role not in (Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN):
        return ""
    from dealreg.selectors.queue import queue_for
    from enablement.certs.selectors import awards_for
    from partners.selectors.tiers import pending_tier_proposals, tier_changes_for

    now = timezone.now()
    f, key = this_quarter()
    awaiting = queue_for(actor)
    proposals = pending_tier_proposals(actor)
    expiring = awards_for(actor).filter(
        revoked_at=None, expires_at__gte=now, expires_at__lte=now + timedelta(days=EXPIRY_DAYS)
    )
    context = {
        "actor": actor,
        "now": now,
        "period_label": composer.period_label(f),
        "previous_label": composer.period_label(f.previous()),
        "period_key": key,
        "tiles": composer.tiles_for(actor, f, MANAGER_TILES),
        "currency": composer.program_currency(),
        # Each list reads the columns its rows show, not every column of five joined tables.
        "awaiting": list(
            awaiting.select_related(None)
            .select_related("partner")
            .only("uuid", "customer_name", "sla_due_at", "partner__name")[:LIST_SIZE]
        ),
        "awaiting_count": awaiting.count(),
        "proposals": list(
            proposals.select_related(None)
            .select_related("partner", "from_tier", "to_tier")
            .only("partner__name", "from_tier__name", "to_tier__name")[:LIST_SIZE]
        ),
        "changes": list(
            tier_changes_for(actor, since=now - timedelta(days=TIER_MOVES_DAYS)).only(
                "changed_at", "partner__uuid", "partner__name", "from_tier__name", "to_tier__name"
            )[:LIST_SIZE]
        ),
        "expiring": list(
            expiring.select_related(None)
            .select_related("certification", "user", "partner")
            .only(
                "expires_at",
                "user__full_name",
                "user__email",
                "certification__name",
                "partner__name",
            )
            .order_by("expires_at", "pk")[:LIST_SIZE]
        ),
        "expiring_count": expiring.count(),
        "expiry_days": EXPIRY_DAYS,
        "tier_moves_days": TIER_MOVES_DAYS,
        # Their partners at high churn risk, each with its top reason (analytics/churn.py).
        **churn.home_context(actor),
    }
    return render_to_string("analytics/home_manager.html", context, request=request)


# --- A partner's scorecard ----------------------------------------------------------------------


@dataclass
class ScoreTile:
    metric: Any
    value: Any
    change: Decimal | None
    median: Any  # the tier's median; None when not shown


def tier_medians(tier_id: int | None, f: Filters, keys) -> dict[str, Any]:
    """{metric key: the median over the tier's partners} (partners in that tier during the
    period); empty with fewer than MIN_PEERS partners. Only medians leave this function."""
    if tier_id is None:
        return {}
    from django.core.cache import cache

    from tenancy.access import SYSTEM

    peers_f = replace(f, tier_id=tier_id)
    # Kept as long as the figures they come from (the same version): a tier's 2,000 partners'
    # sums are not unpickled on every partner's home.
    key = figures_key(SYSTEM, peers_f, by="partner", scoped=False)
    if key is not None:
        key = f"{key}:medians:{','.join(keys)}"
        found = cache.get(key)
        if found is not None:
            return found
    medians = _medians(figures(SYSTEM, peers_f, by="partner", scoped=False), keys)
    if key is not None:
        cache.set(key, medians, FIGURES_CACHE_SECONDS)
    return medians


def _medians(peers: dict, keys) -> dict[str, Any]:
    peers = dict(peers)
    peers.pop(None, None)
    if len(peers) < MIN_PEERS:
        return {}
    medians = {}
    for key in keys:
        metric = METRICS[key]
        values = [v for sums in peers.values() if (v := metric.of(sums)) is not None]
        if len(values) >= MIN_PEERS:
            median = Decimal(statistics.median(Decimal(v) for v in values))
            medians[key] = median.quantize(PLACES[metric.unit], ROUND_HALF_UP)
    return medians


@one_reading()
def scorecard(actor: Actor) -> dict | None:
    """The partner's own figures this quarter with the change, and its tier's medians (the
    portal home's panel and the API's scorecard); None for an actor without a partner."""
    from partners.selectors.organization import partner_organizations_for

    partner = actor.membership.partner_organization if actor.membership else None
    if partner is None and actor.is_partner:  # a partner API key
        partner = partner_organizations_for(actor).first()
    if partner is None:
        return None
    f, key = this_quarter()
    mine = replace(f, partner_id=partner.pk)
    now_sums = figures(actor, mine)[None]
    before_sums = figures(actor, mine.previous())[None]
    medians = tier_medians(partner.tier_id, f, SCORECARD_TILES)
    tiles = []
    for name in SCORECARD_TILES:
        metric = METRICS[name]
        value = metric.of(now_sums)
        tiles.append(
            ScoreTile(metric, value, change(value, metric.of(before_sums)), medians.get(name))
        )
    return {
        "partner": partner,
        "tiles": tiles,
        "currency": composer.program_currency(),
        "period_label": composer.period_label(f),
        "previous_label": composer.period_label(f.previous()),
        "benchmarked": bool(medians),
    }


@one_reading()
def scorecard_panel(request, actor: Actor) -> str:
    if not actor.membership or actor.membership.partner_organization is None:
        return ""
    from partners.selectors.tiers import tier_progress

    card = scorecard(actor)
    if card is None:
        return ""
    context = {
        **card,
        "min_peers": MIN_PEERS,
        "progress": tier_progress(card["partner"]),
        "mdf": _mdf_return(actor),
    }
    return render_to_string("analytics/home_scorecard.html", context, request=request)


def _mdf_return(actor: Actor):
    """The partner's MDF return (the MDF ROI page's total), for those who may see its MDF."""
    if not actor.has(Perm.MDF_VIEW):
        return None
    from mdf import roi

    total = roi.roi_total(roi.funded_activities(actor))
    return total if total.spend else None
