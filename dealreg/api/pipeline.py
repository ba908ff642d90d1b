"""API: the deal pipeline. List (filters `status`, `stage`, `expiring` days, `q`) and retrieve
with pipeline fields and SLA state; `outcome/` marks an approved registration won or lost (the
partner or a manager in scope); PATCH `pipeline/` sets stage, next step and manager notes
(managers in scope)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..models import DealRegistration, DealStatus, SalesStage
from ..selectors import pipeline as selectors
from ..services.outcomes import deal_outcome
from ..services.pipeline import deal_pipeline_update
from .registration import APPROVED, CONTOSO, DealRegistrationSerializer


class PipelineSerializer(DealRegistrationSerializer):
    sla = serializers.CharField(read_only=True, default=None)
    lock_expires_at = serializers.DateTimeField(source="expires_at", read_only=True)

    class Meta(DealRegistrationSerializer.Meta):
        model = DealRegistration
        fields = [
            *DealRegistrationSerializer.Meta.fields,
            "sales_stage",
            "next_step",
            "manager_notes",
            "lock_expires_at",
            "sla",
        ]
        read_only_fields = fields


class OutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[DealStatus.WON, DealStatus.LOST])
    # Any number: the service states the limits in business terms.
    value = serializers.DecimalField(max_digits=None, decimal_places=None, required=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class PipelineUpdateSerializer(serializers.Serializer):
    sales_stage = serializers.ChoiceField(choices=SalesStage.choices, required=False)
    next_step = serializers.CharField(max_length=300, required=False, allow_blank=True)
    manager_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


# Examples in the OpenAPI document: Contoso Ltd's approved registration (Northwind Systems), as
# the vendor's CRM has moved it on.
CONTOSO_IN_PIPELINE = {
    **CONTOSO,
    **APPROVED,
    "sales_stage": "proposal",
    "next_step": "Security review with Contoso IT on 12 January",
    "manager_notes": "",
    "lock_expires_at": APPROVED["expires_at"],
    "sla": "decided_on_time",
}
PIPELINE_EXAMPLES = [
    OpenApiExample(
        "InProposal",
        summary="With the stage and next step set by the vendor's CRM",
        value=CONTOSO_IN_PIPELINE,
        response_only=True,
    )
]
PIPELINE_LIST_EXAMPLES = [
    OpenApiExample(
        "AtProposal",
        summary="A partner's registrations at the proposal stage (?stage=proposal)",
        value=CONTOSO_IN_PIPELINE,
        response_only=True,
    )
]


@extend_schema_view(retrieve=extend_schema(examples=PIPELINE_EXAMPLES))
class DealPipelineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = PipelineSerializer
    required_perms = (Perm.DEALS_VIEW,)

    def scoped_queryset(self):
        filters = selectors.PipelineFilters.from_params(self.request.query_params)
        return selectors.pipeline_for(self.actor, filters)

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        return selectors.with_sla(page) if page is not None else None

    def get_object(self):
        return selectors.with_sla([super().get_object()])[0]

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str),
            OpenApiParameter("stage", str),
            OpenApiParameter("expiring", int, description="Locks expiring within N days."),
            OpenApiParameter("q", str),
        ],
        examples=PIPELINE_LIST_EXAMPLES,
    )
    def list(self, request):
        return super().list(request)

    def _reload(self, deal):
        return PipelineSerializer(
            selectors.with_sla([selectors.pipeline_for(self.actor).get(pk=deal.pk)])[0]
        ).data

    @extend_schema(request=OutcomeSerializer, responses=PipelineSerializer)
    @action(detail=True, methods=["post"])
    def outcome(self, request, id=None):
        deal = self.get_object()
        payload = OutcomeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deal = deal_outcome(actor=self.actor, registration=deal, **payload.validated_data)
        return Response(self._reload(deal))

    @extend_schema(request=PipelineUpdateSerializer, responses=PipelineSerializer)
    @action(detail=True, methods=["patch"])
    def pipeline(self, request, id=None):
        deal = self.get_object()
        payload = PipelineUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deal = deal_pipeline_update(actor=self.actor, registration=deal, **payload.validated_data)
        return Response(self._reload(deal))


def register(router) -> None:
    router.register("deal-pipeline", DealPipelineViewSet, basename="deal-pipeline")
