"""The deal-lock view (direct sales and vendor staff): which partner holds an account, until when,
whom to contact; account detail; disputes visible to the actor.

A search takes a fixed number of queries whatever the data size: the matching (a few, by the
number of typed words; services/matching), the accounts (owner joined, open disputes counted in a
subquery, LIMIT) and one prefetch of their current locks with partner and channel manager."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from tenancy.access import Actor, Perm
from tenancy.common.domains import normalize_domain

from ..models import CustomerAccount, DealRegistration, DealStatus, DirectOpportunity, Dispute
from ..services.accounts import normalize_account_name
from ..services.matching import name_candidates

SEARCH_LIMIT = 25


def _current_locks() -> QuerySet[DealRegistration]:
    return (
        DealRegistration.objects.filter(status=DealStatus.APPROVED)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gte=timezone.now()))
        .select_related("partner", "partner__channel_manager")
    )


def accounts_for(actor: Actor) -> QuerySet[CustomerAccount]:
    """Accounts with `owner`, `open_disputes` and `current_locks` (a list of at most one)."""
    if not actor.has(Perm.DEAL_LOCKS_VIEW) or actor.is_partner:
        return CustomerAccount.objects.none()
    open_disputes = (
        Dispute.objects.filter(account=OuterRef("pk"), status="open")
        .order_by()
        .values("account")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        CustomerAccount.objects.select_related("owner")
        .annotate(
            open_disputes=Coalesce(Subquery(open_disputes, output_field=IntegerField()), Value(0))
        )
        .prefetch_related(Prefetch("registrations", _current_locks(), to_attr="current_locks"))
    )


def lock_search(
    actor: Actor, query: str, limit: int = SEARCH_LIMIT, offset: int = 0
) -> list[CustomerAccount]:
    """For a domain, the account with that domain, else its subdomains. For a name, accounts
    with that exact (normalised) name first, then those holding every typed word (as typed or
    as the start of a word: "zan vor" finds "Zantel Vorpex GmbH") or a near spelling of a
    distinctive one, most similar first (services/matching). At most `limit`, after `offset`."""
    query = (query or "").strip()[:200]
    if not query:
        return []
    qs = accounts_for(actor)
    domain = normalize_domain(query) if "." in query and " " not in query else ""
    if domain:
        # A domain is looked up exactly first (the (tenant, domain) unique index; "www." and
        # the scheme are normalised away); only when nothing matches, its subdomains (a suffix
        # match, which cannot use the index: the rare case pays for it).
        exact = qs.filter(domain=domain).order_by("name", "pk")
        if offset == 0 and (first := list(exact[:limit])):
            return first
        if offset and exact.exists():
            return list(exact[offset : offset + limit])
        return list(
            qs.filter(domain__endswith=f".{domain}").order_by("name", "pk")[offset : offset + limit]
        )
    normalized = normalize_account_name(query)
    if not normalized:
        return []
    if connection.vendor != "postgresql":
        condition = Q(normalized_name__contains=normalized) | Q(name__icontains=query)
        return list(qs.filter(condition).order_by("name", "pk")[offset : offset + limit])
    # Exact names are among the candidates and score 1: they come first.
    return list(name_candidates(qs, normalized, typed=True)[offset : offset + limit])


@dataclass(frozen=True)
class SearchPage:
    """One page of a lock search: its accounts, and whether more match (never silently cut)."""

    accounts: list[CustomerAccount]
    number: int
    has_next: bool
    page_size: int = SEARCH_LIMIT

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.page_size + 1 if self.accounts else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.page_size + len(self.accounts)


MAX_PAGE = 400  # 10,000 accounts: past that, the search needs more words, not more pages


def lock_search_page(actor: Actor, query: str, page: object = 1) -> SearchPage:
    """Page `page` (1-based; anything else is the first) of `lock_search`, one row more than a
    page fetched to tell whether another page follows."""
    try:
        number = min(max(int(str(page)), 1), MAX_PAGE)
    except ValueError:
        number = 1
    rows = lock_search(actor, query, SEARCH_LIMIT + 1, (number - 1) * SEARCH_LIMIT)
    return SearchPage(rows[:SEARCH_LIMIT], number, len(rows) > SEARCH_LIMIT)


def account_detail(actor: Actor, account: CustomerAccount) -> dict:
    """What the account page shows: registrations (history), direct opportunities, disputes."""
    registrations = (
        DealRegistration.objects.filter(account=account)
        .select_related("partner", "partner__channel_manager")
        .order_by("-created_at", "-id")
    )
    return {
        "registrations": list(registrations[:100]),
        "opportunities": list(
            DirectOpportunity.objects.filter(account=account).select_related("owner")[:100]
        ),
        "disputes": list(disputes_for(actor).filter(account=account)[:100]),
    }


def may_see_disputes(actor: Actor) -> bool:
    if actor.is_partner:
        return actor.has(Perm.DEALS_VIEW)
    return actor.has(Perm.DEAL_LOCKS_VIEW) or actor.has(Perm.DISPUTES_DECIDE)


def disputes_for(actor: Actor) -> QuerySet[Dispute]:
    """Vendor staff with the lock view: every dispute; a partner user: disputes about their own
    organisation's registrations; anyone else: none."""
    qs = Dispute.objects.select_related(
        "account",
        "account__owner",
        "registration",
        "registration__partner",
        "registration__partner__channel_manager",
        "registration__submitted_by",
        "raised_by",
        "decided_by",
    ).order_by("-created_at", "-id")
    if actor.is_partner and actor.has(Perm.DEALS_VIEW):
        return qs.filter(registration__partner_id=actor.partner_organization_id)
    if actor.has(Perm.DEAL_LOCKS_VIEW) or actor.has(Perm.DISPUTES_DECIDE):
        return qs
    return qs.none()
