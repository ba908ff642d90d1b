"""Rules of engagement: which versions an actor may see, the current one, who accepted."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy

from tenancy.access import Actor, Perm
from tenancy.models import Membership
from tenancy.roles import Role

from ..models import RoeAcceptance, RulesOfEngagement
from .documents import DocumentKind, console_versions, current_version, published_versions

# Drafts are numbered when published (see partners.services.documents).
ROE = DocumentKind(
    name="roe",
    model=RulesOfEngagement,
    fields=("change_summary",),
    number_drafts=False,
    accept_perm=Perm.ROE_ACCEPT,
    accept_relation="acceptances",
    publisher_field="published_by",
    only_partner_users=gettext_lazy("Only a signed-in partner admin can accept the rules."),
    not_current=gettext_lazy("Only the current version of the rules can be accepted."),
)


def published_rules() -> QuerySet[RulesOfEngagement]:
    """Published versions, newest first: what partners and the public page may read."""
    return published_versions(ROE).select_related("published_by")


def current_rules() -> RulesOfEngagement | None:
    return current_version(ROE)


def rules_for(actor: Actor) -> QuerySet[RulesOfEngagement]:
    """Every member reads published versions; program managers also see drafts."""
    if actor.has(Perm.PROGRAM_MANAGE):
        qs = RulesOfEngagement.objects.select_related("published_by")
    elif actor.is_member:
        qs = published_rules()
    else:
        return RulesOfEngagement.objects.none()
    # Drafts first (they are being worked on), then published versions, newest first.
    return qs.order_by(F("published_at").desc(nulls_first=True), "-version")


def rules_console_list(actor: Actor) -> list[dict]:
    """One group of versions (drafts first), each with its `accept_count`."""
    return console_versions(ROE, rules_for(actor))


def roe_pending_for(actor: Actor) -> RulesOfEngagement | None:
    """The current version when this partner admin has not accepted it yet, else None."""
    if not actor.has(Perm.ROE_ACCEPT) or actor.user is None:
        return None
    current = current_rules()
    if current is None:
        return None
    if RoeAcceptance.objects.filter(rules=current, user=actor.user).exists():
        return None
    return current


def has_accepted(actor: Actor, rules: RulesOfEngagement) -> bool:
    if actor.user is None:
        return False
    return RoeAcceptance.objects.filter(rules=rules, user=actor.user).exists()


def organization_acceptances(actor: Actor, rules: RulesOfEngagement) -> QuerySet[RoeAcceptance]:
    """Who in the actor's own partner organisation accepted this version."""
    if actor.partner_organization_id is None:
        return RoeAcceptance.objects.none()
    return (
        RoeAcceptance.objects.filter(rules=rules, partner_id=actor.partner_organization_id)
        .select_related("user")
        .order_by("accepted_at")
    )


@dataclass
class AcceptanceOverview:
    accepted: list[RoeAcceptance]
    pending: list[Membership]


def acceptance_overview(actor: Actor, rules: RulesOfEngagement) -> AcceptanceOverview:
    """Per version: who accepted (partner, user, when), and which active partner admins have not.

    Two queries whatever the number of partners (tests assert it).
    """
    if not actor.has(Perm.PROGRAM_VIEW) or rules.published_at is None:
        return AcceptanceOverview(accepted=[], pending=[])
    accepted = list(
        RoeAcceptance.objects.filter(rules=rules)
        .select_related("partner", "user")
        .order_by("partner__name", "accepted_at")
    )
    pending = list(
        Membership.objects.filter(role=Role.PARTNER_ADMIN, is_active=True)
        .exclude(user_id__in=[a.user_id for a in accepted])
        .select_related("user", "partner_organization")
        .order_by("partner_organization__name", "user__email")
    )
    return AcceptanceOverview(accepted=accepted, pending=pending)


def active_partner_admin_count() -> int:
    return Membership.objects.filter(role=Role.PARTNER_ADMIN, is_active=True).count()
