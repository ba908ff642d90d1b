"""Reads of through-partner marketing, scoped to what the actor may see: partner users their own
organisation's campaigns and leads, channel managers their partners', program staff all."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from tenancy import access
from tenancy.access import Actor, Perm

from .models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    CampaignTemplate,
    Lead,
    RecipientStatus,
    TemplateStatus,
    TrackedLink,
)


def templates_for(actor: Actor) -> QuerySet[CampaignTemplate]:
    """Marketing sees every template; everyone else the published ones."""
    if not actor.has(Perm.CAMPAIGNS_VIEW):
        return CampaignTemplate.objects.none()
    qs = CampaignTemplate.objects.all()
    if not actor.has(Perm.CAMPAIGNS_MANAGE):
        qs = qs.filter(status=TemplateStatus.PUBLISHED)
    return qs


def templates_with_use(actor: Actor) -> QuerySet[CampaignTemplate]:
    """Templates with how many campaigns (of partners the actor sees) use them."""
    visible = access.scope_partner_owned(actor, Campaign.objects.all())
    return templates_for(actor).annotate(
        uses=Count("campaigns", filter=Q(campaigns__in=visible.values("pk")), distinct=True)
    )


def campaigns_for(actor: Actor) -> QuerySet[Campaign]:
    if not actor.has(Perm.CAMPAIGNS_VIEW):
        return Campaign.objects.none()
    return access.scope_partner_owned(
        actor, Campaign.objects.select_related("partner", "template", "fund_request")
    )


def campaigns_listed(actor: Actor) -> QuerySet[Campaign]:
    """Campaigns with their lead and click counts (one query, no per-row counts)."""
    return campaigns_for(actor).annotate(
        lead_count=_per_campaign(Lead.objects.all(), Count("pk")),
        click_count=_per_campaign(TrackedLink.objects.all(), Sum("clicks")),
    )


def _per_campaign(qs: QuerySet, aggregate):
    """One number per campaign row, as a correlated subquery (two joins would multiply)."""
    rows = qs.filter(campaign=OuterRef("pk")).order_by().values("campaign")
    return Coalesce(
        Subquery(rows.annotate(n=aggregate).values("n")[:1], output_field=IntegerField()), 0
    )


def campaign_detail(actor: Actor, key_or_uuid) -> Campaign | None:
    return (
        campaigns_for(actor)
        .prefetch_related(Prefetch("links", queryset=TrackedLink.objects.order_by("channel")))
        .filter(uuid=key_or_uuid)
        .first()
    )


def recipient_counts(campaign: Campaign) -> dict[str, int]:
    rows = dict(
        CampaignRecipient.objects.filter(campaign=campaign)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    waiting = CampaignRecipient.objects.filter(
        campaign=campaign, status=RecipientStatus.PENDING, send_requested_at__isnull=False
    ).count()
    return {
        "total": sum(rows.values()),
        "not_sent": rows.get(RecipientStatus.PENDING, 0) - waiting,
        "waiting": waiting,
        "sent": rows.get(RecipientStatus.QUEUED, 0),
        "unsubscribed": rows.get(RecipientStatus.UNSUBSCRIBED, 0),
    }


def leads_for(actor: Actor) -> QuerySet[Lead]:
    if not actor.has(Perm.CAMPAIGNS_VIEW):
        return Lead.objects.none()
    return access.scope_partner_owned(
        actor, Lead.objects.select_related("campaign", "partner", "registration")
    )


def lead_detail(actor: Actor, lead_uuid) -> Lead | None:
    return leads_for(actor).filter(uuid=lead_uuid).first()


def live_campaign(key: str) -> Campaign | None:
    """The public landing page's campaign (any status: the page says when it is not live)."""
    return Campaign.objects.select_related("partner").filter(key=key).first()


def is_live(campaign: Campaign) -> bool:
    return campaign.status == CampaignStatus.LIVE
