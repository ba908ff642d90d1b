"""API: the onboarding funnel (console numbers as JSON) and the onboarding checklist (the caller's
own organisation, or a partner in the caller's scope by id)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response

from partners.models import PartnerOrganization
from partners.selectors import organization as partner_selectors
from tenancy import selectors as tenancy_selectors
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..selectors import progress as selectors


class SingleObjectSchema(AutoSchema):
    """These `list` routes answer one object (a report), not a page of rows."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class FunnelQuerySerializer(serializers.Serializer):
    signed_from = serializers.DateField(required=False)
    signed_to = serializers.DateField(required=False)
    manager = serializers.EmailField(required=False, help_text="A channel manager's email.")


class FunnelStepSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    reached = serializers.IntegerField()
    percent_of_signed = serializers.FloatField()
    median_days_from_previous = serializers.FloatField(allow_null=True)
    median_days_from_signature = serializers.FloatField(allow_null=True)
    before_previous = serializers.IntegerField(
        help_text="Partners who reached this step before the previous one (negative interval)."
    )


class FunnelPartnerSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid")
    name = serializers.CharField()
    channel_manager = serializers.CharField(source="manager", allow_blank=True)
    steps = serializers.DictField(source="dates", child=serializers.DateTimeField())
    out_of_order = serializers.ListField(
        child=serializers.CharField(),
        help_text="Steps dated before a step that comes earlier in the funnel.",
    )


class FunnelSerializer(serializers.Serializer):
    signed = serializers.IntegerField()
    median_days_to_first_deal = serializers.FloatField(allow_null=True)
    out_of_order = serializers.IntegerField(
        source="out_of_order_count", help_text="Partners with steps out of order."
    )
    steps = FunnelStepSerializer(many=True)
    partners = FunnelPartnerSerializer(many=True)


class ChecklistItemSerializer(serializers.Serializer):
    step = serializers.CharField(source="key")
    label = serializers.CharField()
    done = serializers.BooleanField()
    reached_at = serializers.DateTimeField(allow_null=True)
    how = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class ChecklistSerializer(serializers.Serializer):
    partner = serializers.UUIDField()
    done = serializers.IntegerField(source="done_count")
    total = serializers.IntegerField()
    percent = serializers.IntegerField()
    complete = serializers.BooleanField()
    items = ChecklistItemSerializer(many=True)


class OnboardingFunnelViewSet(TenantViewSet):
    """GET: the console's onboarding funnel (vendor staff; channel managers: their partners)."""

    required_perms = (Perm.CONSOLE_VIEW, Perm.PARTNERS_VIEW)
    serializer_class = FunnelSerializer
    schema = SingleObjectSchema()
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return PartnerOrganization.objects.none()  # not a model listing

    @extend_schema(
        operation_id="onboarding_funnel",
        parameters=[FunnelQuerySerializer],
        responses=FunnelSerializer,
    )
    def list(self, request):
        query = FunnelQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        manager_id = None
        if email := filters.pop("manager", ""):
            membership = (
                tenancy_selectors.partner_managers(self.actor)
                .filter(user__email__iexact=email)
                .first()
            )
            # Nobody by that email here: an id that matches no partner.
            manager_id = membership.user_id if membership else 0
        funnel = selectors.onboarding_funnel(self.actor, manager_id=manager_id, **filters)
        return Response(FunnelSerializer(funnel).data)


class OnboardingChecklistViewSet(TenantViewSet):
    """GET list: the caller's own organisation's checklist (partner users and partner keys).
    GET <partner id>: a partner's checklist, for whoever may see that partner."""

    required_perms = (Perm.PARTNERS_VIEW,)
    serializer_class = ChecklistSerializer
    schema = SingleObjectSchema()
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PartnerOrganization.objects.none()
        return partner_selectors.partner_organizations_for(self.actor)

    def _respond(self, partner):
        checklist = selectors.partner_checklist(partner, self.actor)
        data = {
            "partner": partner.uuid,
            "done_count": checklist.done_count,
            "total": checklist.total,
            "percent": checklist.percent,
            "complete": checklist.complete,
            "items": checklist.items,
        }
        return Response(ChecklistSerializer(data).data)

    @extend_schema(operation_id="onboarding_checklist_own", responses=ChecklistSerializer)
    def list(self, request):
        if not self.actor.is_partner or self.actor.partner_organization_id is None:
            raise PermissionDenied(_("Only partner users have an onboarding checklist."))
        partner = self.get_queryset().filter(pk=self.actor.partner_organization_id).first()
        if partner is None:
            raise NotFound
        return self._respond(partner)

    @extend_schema(
        parameters=[OpenApiParameter("id", str, OpenApiParameter.PATH)],
        responses=ChecklistSerializer,
    )
    def retrieve(self, request, id=None):
        return self._respond(self.get_object())


def register(router) -> None:
    router.register("onboarding-funnel", OnboardingFunnelViewSet, basename="onboarding-funnel")
    router.register(
        "onboarding-checklist", OnboardingChecklistViewSet, basename="onboarding-checklist"
    )
