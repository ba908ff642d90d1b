"""Template tags of onboarding progress: the compact checklist of the portal home page and the
first-login tour hook of the portal layout."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy

from tenancy.access import get_actor

from ..selectors.progress import partner_checklist
from ..services.progress import tour_seen

register = template.Library()

TOUR_HOME = "portal_home"


@register.inclusion_tag("onboarding/progress/_checklist_compact.html", takes_context=True)
def onboarding_checklist_card(context, partner):
    """The partner's checklist in a card, until every step is done (then nothing)."""
    request = context.get("request")
    if partner is None or request is None:
        return {"checklist": None}
    # Which steps are done, not when: the sources are asked about the unfinished ones only.
    checklist = partner_checklist(partner, get_actor(request), recheck_reached=False)
    return {"checklist": None if checklist.complete else checklist}


@register.inclusion_tag("onboarding/progress/_tour.html", takes_context=True)
def portal_tour(context):
    """The tour's script and its start flag. It starts by itself on the portal home page (where
    login lands) for partner users who have not seen it (one query); a deep link from an email
    is not interrupted. Everyone in the portal can replay it from the Help menu."""
    request = context.get("request")
    actor = get_actor(request) if request is not None else None
    enabled = actor is not None and actor.is_partner and actor.user is not None
    match = getattr(request, "resolver_match", None)
    on_home = match is not None and match.url_name == TOUR_HOME
    return {
        "enabled": enabled,
        "autostart": enabled and on_home and not tour_seen(actor.user),
        "steps": tour_steps() if enabled else [],
    }


# The tour's stops: the nav item (URL name, or "help") each one points at. A stop whose item the
# user's role does not have is skipped by the script; "" is a centred welcome.
TOUR_STEPS = (
    (
        "",
        gettext_lazy("Welcome to the partner portal"),
        gettext_lazy(
            "A one-minute tour of where things are. Replay it any time from the Help menu."
        ),
    ),
    (
        "portal_onboarding",
        gettext_lazy("Your onboarding checklist"),
        gettext_lazy("The steps to get your organisation up and running, and what they unlock."),
    ),
    (
        "portal_learning",
        gettext_lazy("Learning"),
        gettext_lazy("Your learning path. Completing the 101 course unlocks deal registration."),
    ),
    (
        "portal_assets",
        gettext_lazy("Asset library"),
        gettext_lazy("Battle cards, case studies and decks for your role."),
    ),
    (
        "portal_deals",
        gettext_lazy("Deal registration"),
        gettext_lazy("Register your opportunities here to protect them."),
    ),
    ("help", gettext_lazy("Help"), gettext_lazy("Replay this tour from here whenever you like.")),
)


def tour_steps() -> list[dict[str, str]]:
    return [
        {"target": target, "title": str(title), "description": str(description)}
        for target, title, description in TOUR_STEPS
    ]
