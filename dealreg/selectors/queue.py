"""The approver's reads: the queue of pending registrations and one registration with its
conflicts side by side and its history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from partners.models import PartnerOrganization
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.common.numbers import percent
from tenancy.roles import Role

from ..models import CustomerAccount, DealEvent, DealRegistration, DealStatus
from ..models.registrations import PENDING_STATUSES
from ..services.conflicts import CONFLICT_LABELS

# What a registration's page or API representation reads besides the row itself.
DEAL_RELATED = ("partner", "submitted_by", "account", "assigned_to", "decided_by")


def visible_deals(actor: Actor) -> QuerySet[DealRegistration]:
    """What the actor may open: `deals_for` plus, for a decider, what was routed to them.

    Written for the planner: a condition on the row's own columns (no `pk IN (sub-select over
    every registration)`), so a page in (created_at, uuid) order walks the `deal_recent` /
    `deal_partner_recent` index and stops after a page, whatever the number of registrations."""
    qs = DealRegistration.objects.select_related(*DEAL_RELATED)
    if not actor.has(Perm.DEALS_VIEW):
        return qs.none()
    if access.sees_every_partner(actor):
        # Every partner of the tenant, so every registration: the tenant filter alone.
        return qs.order_by("-created_at", "-uuid")
    decider = actor.has(Perm.DEALS_DECIDE) and actor.user is not None
    if actor.is_partner:
        if actor.partner_organization_id is None:
            return qs.none()
        condition = Q(partner_id=actor.partner_organization_id)
    else:
        # Checked per row as the index is walked: a semi-join on the partners in scope.
        partners = access.scope_partner_organizations(actor, PartnerOrganization.objects.all())
        condition = Q(Exists(partners.filter(pk=OuterRef("partner_id"))))
    if decider:
        condition |= Q(assigned_to=actor.user)
    return qs.filter(condition).order_by("-created_at", "-uuid")


def queue_for(actor: Actor) -> QuerySet[DealRegistration]:
    """Pending registrations the actor decides, the most urgent first: a channel manager those
    routed to them and those of their partners; a program admin all, the unassigned queue too."""
    if not actor.has(Perm.DEALS_DECIDE):
        return DealRegistration.objects.none()
    # Only what the queue's rows and CSV show (partner, approver): each join more is a row of
    # every page read for nothing.
    qs = DealRegistration.objects.filter(status__in=PENDING_STATUSES).select_related(
        "partner", "assigned_to"
    )
    if actor.role != Role.PROGRAM_ADMIN:
        user = actor.user
        if user is None:
            return qs.none()
        # The partners in scope (a few thousand at most), not a sub-select over every
        # registration: the pending rows are then found through (tenant, status, ...) indexes.
        partners = access.scope_partner_organizations(actor, PartnerOrganization.objects.all())
        qs = qs.filter(Q(assigned_to=user) | Q(partner_id__in=partners.values("pk")))
    return qs.order_by(F("sla_due_at").asc(nulls_last=True), "submitted_at", "id")


@dataclass
class ConflictRow:
    entry: dict[str, Any]
    registration: DealRegistration | None
    account: CustomerAccount | None

    @property
    def label(self) -> str:
        kind = self.entry.get("kind", "")
        return str(CONFLICT_LABELS.get(kind, kind.replace("_", " ").capitalize()))

    @property
    def similarity(self) -> Decimal | None:
        """How alike the names are, in whole percent (only for similar names: the other kinds
        are exact)."""
        if self.entry.get("kind") != "similar_name" or self.entry.get("score") is None:
            return None
        return percent(self.entry["score"], 1)

    @property
    def status_label(self) -> str:
        status = self.entry.get("status") or ""
        return str(DealStatus(status).label) if status in DealStatus.values else status


def deal_detail_for(actor: Actor, deal_uuid) -> DealRegistration:
    """One registration the actor may open (DoesNotExist otherwise), with its history."""
    events = DealEvent.objects.select_related("by").order_by("at", "id")
    return (
        visible_deals(actor)
        .prefetch_related(Prefetch("events", queryset=events))
        .get(uuid=deal_uuid)
    )


def conflict_rows(deal: DealRegistration) -> list[ConflictRow]:
    """The stored conflicts joined to the current rows (two queries, whatever their number).
    NOTE: for approvers only; these name other partners and direct owners."""
    entries = deal.conflicts or []
    deal_uuids = {e["registration"] for e in entries if e.get("registration")}
    account_uuids = {e["account"] for e in entries if e.get("account")}
    deals = {
        str(d.uuid): d
        for d in DealRegistration.objects.filter(uuid__in=deal_uuids).select_related(
            "partner", "account"
        )
    }
    accounts = {
        str(a.uuid): a
        for a in CustomerAccount.objects.filter(uuid__in=account_uuids).select_related("owner")
    }
    return [
        ConflictRow(
            entry=e,
            registration=deals.get(e.get("registration") or ""),
            account=accounts.get(e.get("account") or ""),
        )
        for e in entries
    ]
