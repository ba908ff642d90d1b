"""Channel strategy reads: GTM plays, the SWOT board, saved financial baselines, tier names."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tenancy.access import Actor, Perm
from tenancy.models import Membership
from tenancy.roles import VENDOR_ROLES

from ..models import FinancialModel, GtmPlay, ProgramSettings, SwotItem, SwotQuadrant, Tier

User = get_user_model()


def _none_unless_program_viewer(actor: Actor, qs: QuerySet) -> QuerySet:
    return qs if actor.has(Perm.PROGRAM_VIEW) else qs.none()


def gtm_plays(actor: Actor, *, include_inactive: bool = True) -> QuerySet[GtmPlay]:
    qs = GtmPlay.objects.select_related("owner").order_by("-is_active", "motion", "name")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return _none_unless_program_viewer(actor, qs)


def swot_items(actor: Actor) -> QuerySet[SwotItem]:
    return _none_unless_program_viewer(
        actor, SwotItem.objects.order_by("quadrant", "position", "id")
    )


def swot_board(actor: Actor) -> list[dict]:
    """The four quadrants in S, W, O, T order, each with its items (one query)."""
    by_quadrant: dict[str, list[SwotItem]] = {value: [] for value in SwotQuadrant.values}
    for item in swot_items(actor):
        by_quadrant[item.quadrant].append(item)
    return [
        {"code": value, "label": label, "items": by_quadrant[value]}
        for value, label in SwotQuadrant.choices
    ]


def financial_models(actor: Actor) -> QuerySet[FinancialModel]:
    return _none_unless_program_viewer(
        actor, FinancialModel.objects.select_related("created_by").order_by("-created_at")
    )


def play_owner_choices() -> QuerySet:
    """Users who may own a play: active vendor staff of the current tenant."""
    staff = Membership.objects.filter(role__in=sorted(VENDOR_ROLES), is_active=True)
    return User.objects.filter(pk__in=staff.values("user_id"), is_active=True).order_by(
        "full_name", "email"
    )


def financial_tier_names() -> list[str]:
    """Up to three names for the calculator's tier rows: the tenant's tiers, else Tier 1..3."""
    names = list(Tier.objects.order_by("rank").values_list("name", flat=True)[:3])
    return names or [_("Tier %(number)s") % {"number": n} for n in (1, 2, 3)]


def program_currency() -> str:
    settings_row = ProgramSettings.objects.first()
    return settings_row.currency if settings_row is not None else "USD"
