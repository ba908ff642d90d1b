"""API: partners' co-branded campaigns and the leads they captured (read; in the caller's scope:
a partner's users and keys their own organisation's, a channel manager their partners', program
staff all). A CRM pulls new leads with `?created_after=`."""

from __future__ import annotations

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import mixins, serializers
from rest_framework.exceptions import ValidationError

from partners.api.serializers import plain_choice
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from .. import campaign_selectors as selectors
from ..models import Campaign, CampaignStatus, Channel, Lead
from ..services import campaigns as services


class CampaignSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    template = serializers.UUIDField(source="template.uuid", read_only=True)
    template_name = serializers.CharField(source="template.name", read_only=True)
    fund_request = serializers.UUIDField(
        source="fund_request.uuid", read_only=True, allow_null=True, default=None
    )
    status = plain_choice(CampaignStatus.choices, read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    landing_url = serializers.SerializerMethodField()
    lead_count = serializers.IntegerField(read_only=True)
    click_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "partner",
            "partner_name",
            "template",
            "template_name",
            "fund_request",
            "status",
            "status_label",
            "offer",
            "landing_url",
            "created_at",
            "launched_at",
            "lead_count",
            "click_count",
        ]
        read_only_fields = fields

    def get_landing_url(self, campaign) -> str | None:
        return services.landing_url(campaign) if campaign.status == CampaignStatus.LIVE else None


class LeadSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    campaign = serializers.UUIDField(source="campaign.uuid", read_only=True)
    campaign_name = serializers.CharField(source="campaign.name", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    channel = plain_choice(Channel.choices, read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    deal_registration = serializers.UUIDField(
        source="registration.uuid", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Lead
        fields = [
            "id",
            "campaign",
            "campaign_name",
            "partner",
            "first_name",
            "last_name",
            "email",
            "company",
            "job_title",
            "phone",
            "message",
            "marketing_consent",
            "channel",
            "channel_label",
            "submissions",
            "created_at",
            "last_submitted_at",
            "deal_registration",
        ]
        read_only_fields = fields


class CampaignViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Co-branded campaigns in the caller's scope, newest first, with their lead and click
    counts; `?status=` narrows the list."""

    serializer_class = CampaignSerializer
    required_perms = (Perm.CAMPAIGNS_VIEW,)
    filterset_fields = {"status": ["exact"]}

    def scoped_queryset(self):
        return selectors.campaigns_listed(self.actor).order_by("-created_at", "-id")


class LeadViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Leads in the caller's scope, newest first. `?created_after=<ISO 8601>` returns those
    captured after a moment (a CRM's incremental pull); `?channel=` narrows by source."""

    serializer_class = LeadSerializer
    required_perms = (Perm.CAMPAIGNS_VIEW,)
    filterset_fields = {"channel": ["exact"]}

    def scoped_queryset(self):
        qs = selectors.leads_for(self.actor).order_by("-created_at", "-id")
        after = self.request.query_params.get("created_after") if self.request else None
        if after:
            try:
                moment = parse_datetime(after)
            except ValueError:  # well formed, not a real moment (month 13)
                moment = None
            if moment is None:
                raise ValidationError(
                    {"created_after": [_("Give a date and time such as 2026-12-01T09:00:00Z.")]}
                )
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            qs = qs.filter(created_at__gt=moment)
        return qs


def register(router) -> None:
    router.register("campaigns", CampaignViewSet, basename="campaign")
    router.register("leads", LeadViewSet, basename="lead")
