"""Reads for partner organisations: the directory, one partner's page, the recruitment board."""

from __future__ import annotations

from uuid import UUID

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from tenancy import access
from tenancy.access import Actor

from ..models import (
    Application,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
)

LIFECYCLE_ORDER = {state: index for index, state in enumerate(LifecycleState.values)}
PIPELINE_STATES = (
    LifecycleState.PROSPECT,
    LifecycleState.APPLIED,
    LifecycleState.APPROVED,
    LifecycleState.CONTRACTED,
)
# Directory sort keys ("-" in front reverses); the value is the ORDER BY it stands for.
SORTS = {
    "name": ("name",),
    "score": (F("ipp_score").asc(nulls_first=True), "name"),
    "state": ("state_order", "name"),
    "created": ("created_at", "name"),
}
SORT_REVERSED = {
    "-name": ("-name",),
    "-score": (F("ipp_score").desc(nulls_last=True), "name"),
    "-state": ("-state_order", "name"),
    "-created": ("-created_at", "name"),
}


def partner_organizations_for(actor: Actor) -> QuerySet[PartnerOrganization]:
    """The partner organisations this actor may see, in SQL (role rules plus object grants)."""
    return access.scope_partner_organizations(actor, PartnerOrganization.objects.all()).order_by(
        "name"
    )


def _state_order():
    return Case(
        *(When(state=state, then=Value(i)) for state, i in LIFECYCLE_ORDER.items()),
        output_field=IntegerField(),
    )


def _user_count():
    """A partner's number of memberships (`user_count`), counted per row in a correlated
    sub-select: with a page's LIMIT, Postgres evaluates it for the page's rows only (after the
    sort), instead of joining and grouping every membership of every partner before paging."""
    from tenancy.models import Membership

    per_partner = (
        Membership.objects.filter(partner_organization_id=OuterRef("pk"))
        .order_by()
        .values("partner_organization_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(per_partner, output_field=IntegerField()), Value(0))


def _json_list_has(field: str, value: str) -> Q:
    # NOTE: JSON `contains` is not available on SQLite; a quoted, case-insensitive match on the
    # list's JSON text finds the exact item on both SQLite and Postgres ('"EMEA"' ≠ '"EMEA-X"').
    return Q(**{f"{field}__icontains": f'"{value}"'})


def partner_directory(
    actor: Actor,
    *,
    q: str = "",
    state: str = "",
    tier: UUID | str | None = None,
    partner_type: str = "",
    region: str = "",
    manager: int | None = None,
    min_score: int | None = None,
    sort: str = "name",
) -> QuerySet[PartnerOrganization]:
    """The console directory (and its CSV/XLSX export): partners the actor may see, filtered and
    sorted. `tier` is a Tier uuid, `manager` the channel manager's User pk. Unknown sort → name."""
    qs = partner_organizations_for(actor)
    if q := (q or "").strip():
        qs = qs.filter(
            Q(name__icontains=q)
            | Q(legal_name__icontains=q)
            | Q(domain__icontains=q)
            | Q(skills__icontains=q)
        )
    if state:
        qs = qs.filter(state=state)
    if tier:
        qs = qs.filter(tier__uuid=tier)
    if partner_type:
        qs = qs.filter(Q(partner_type=partner_type) | _json_list_has("partner_types", partner_type))
    if region:
        qs = qs.filter(_json_list_has("regions", region))
    if manager:
        qs = qs.filter(channel_manager_id=manager)
    if min_score is not None:
        qs = qs.filter(ipp_score__gte=min_score)
    ordering = SORTS.get(sort) or SORT_REVERSED.get(sort) or SORTS["name"]
    return (
        qs.select_related("channel_manager", "tier")
        .annotate(user_count=_user_count(), state_order=_state_order())
        .order_by(*ordering)
    )


def directory_rows(actor: Actor) -> QuerySet[PartnerOrganization]:
    """The console directory's rows (filtered, sorted and paged by list_page): partners the actor
    may see with what each row shows, and the sort keys `state_order` (lifecycle order),
    `score_order` (no score sorts below 0) and `tier_order` (no tier below the entry tier): no
    NULLs, so "no value" stays at the low end in both directions."""
    return (
        partner_organizations_for(actor)
        .select_related("channel_manager", "tier")
        .annotate(
            user_count=_user_count(),
            state_order=_state_order(),
            score_order=Coalesce("ipp_score", Value(-1)),
            tier_order=Coalesce("tier__rank", Value(0)),
            manager_order=Coalesce("channel_manager__full_name", Value("")),
        )
    )


def partner_detail(actor: Actor, partner_uuid) -> PartnerOrganization:
    """One partner with everything its console page shows, in a fixed number of queries.
    Raises PartnerOrganization.DoesNotExist when the actor may not see it (→ 404)."""
    return (
        partner_organizations_for(actor)
        .select_related("channel_manager", "tier")
        .prefetch_related(
            Prefetch("contacts", queryset=PartnerContact.objects.order_by("name")),
            Prefetch(
                "lifecycle_events",
                queryset=LifecycleEvent.objects.select_related("by").order_by("-created_at", "-id"),
            ),
            Prefetch("applications", queryset=Application.objects.order_by("-submitted_at")),
        )
        .get(uuid=partner_uuid)
    )


def partner_for_actor(actor: Actor, partner_uuid) -> PartnerOrganization:
    """A partner the actor may see (for writes that need only the row). DoesNotExist → 404."""
    return partner_organizations_for(actor).select_related("channel_manager").get(uuid=partner_uuid)


def partner_contact_for(actor: Actor, partner: PartnerOrganization, contact_uuid) -> PartnerContact:
    return access.scope_partner_owned(actor, PartnerContact.objects.select_related("partner")).get(
        partner=partner, uuid=contact_uuid
    )


def partner_contacts(actor: Actor) -> QuerySet[PartnerContact]:
    return access.scope_partner_owned(
        actor, PartnerContact.objects.select_related("partner")
    ).order_by("partner__name", "name")


def own_organization(actor: Actor) -> PartnerOrganization | None:
    """A partner user's own organisation (portal), with its contacts."""
    if actor.partner_organization_id is None:
        return None
    return (
        partner_organizations_for(actor)
        .select_related("channel_manager", "tier")
        .prefetch_related(Prefetch("contacts", queryset=PartnerContact.objects.order_by("name")))
        .filter(pk=actor.partner_organization_id)
        .first()
    )


def recruitment_pipeline(actor: Actor, *, per_column: int = 100) -> list[dict]:
    """The pipeline board: one column per early lifecycle state, best fit first (the best
    `per_column` cards of each). A query per column plus one for the counts, whatever the data."""
    base = partner_organizations_for(actor).filter(state__in=PIPELINE_STATES)
    counts = dict(base.order_by().values_list("state").annotate(n=Count("pk")))
    cards = base.select_related("channel_manager").order_by(
        F("ipp_score").desc(nulls_last=True), "name"
    )
    return [
        {
            "state": state,
            "label": LifecycleState(state).label,
            "partners": list(cards.filter(state=state)[:per_column]),
            "count": counts.get(state, 0),
        }
        for state in PIPELINE_STATES
    ]


def managed_partner_uuids(actor: Actor) -> list:
    """The partners whose records (and mail) a channel manager looks after: theirs."""
    if actor.user is None:
        return []
    return list(
        PartnerOrganization.objects.filter(channel_manager=actor.user).values_list(
            "uuid", flat=True
        )
    )


def mdf_eligible_partners() -> QuerySet[PartnerOrganization]:
    """Partners the MDF tier rules allocate to: active, in a tier marked MDF-eligible (with the
    tier loaded for its share)."""
    return (
        PartnerOrganization.objects.filter(
            state=LifecycleState.ACTIVE, tier__isnull=False, tier__mdf_eligible=True
        )
        .select_related("tier")
        .order_by("name", "pk")
    )
