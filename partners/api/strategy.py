"""API: GTM plays, SWOT items and financial model baselines (program viewers read, managers
write through the services)."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..forms import limits
from ..models import FinancialModel, GtmPlay, SwotItem, SwotQuadrant
from ..selectors import strategy as selectors
from ..services import strategy as services


class OwnerField(serializers.SlugRelatedField):
    """A play's owner by email, among the vendor staff of the current tenant."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="email", **kwargs)

    def get_queryset(self):
        return selectors.play_owner_choices()


class GtmPlaySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = OwnerField(required=False, allow_null=True)

    class Meta:
        model = GtmPlay
        fields = [
            "id",
            "name",
            "motion",
            "target_segments",
            "description",
            "owner",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class GtmPlayViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = GtmPlaySerializer
    required_perms = (Perm.PROGRAM_VIEW,)
    filterset_fields = ["motion", "is_active"]

    def scoped_queryset(self):
        return selectors.gtm_plays(self.actor)

    @transaction.atomic
    def create(self, request):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        active = data.pop("is_active", True)
        play = services.gtm_play_create(actor=self.actor, **data)
        if not active:
            play = services.gtm_play_set_active(actor=self.actor, play=play, active=False)
        return Response(self.get_serializer(play).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=GtmPlaySerializer, responses=GtmPlaySerializer)
    @transaction.atomic  # field changes and the active flag change together or not at all
    def partial_update(self, request, id=None):
        play = self.get_object()
        payload = self.get_serializer(play, data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        active = data.pop("is_active", None)
        play = services.gtm_play_update(actor=self.actor, play=play, **data)
        if active is not None:
            play = services.gtm_play_set_active(actor=self.actor, play=play, active=active)
        return Response(self.get_serializer(play).data)


class SwotItemSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    quadrant = serializers.ChoiceField(choices=SwotQuadrant.choices)

    class Meta:
        model = SwotItem
        fields = ["id", "quadrant", "text", "position", "created_at"]
        read_only_fields = ["position", "created_at"]


class SwotItemViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    serializer_class = SwotItemSerializer
    required_perms = (Perm.PROGRAM_VIEW,)
    filterset_fields = ["quadrant"]

    def scoped_queryset(self):
        return selectors.swot_items(self.actor)

    def create(self, request):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        item = services.swot_item_add(actor=self.actor, **payload.validated_data)
        return Response(self.get_serializer(item).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.swot_item_remove(actor=self.actor, item=instance)


class TierInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60)
    partners = serializers.IntegerField(
        **limits.api_limit(0, limits.PARTNERS_MAX, limits.PARTNERS_MESSAGE)
    )
    avg_revenue = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        **limits.api_limit(Decimal("0"), limits.MONEY_MAX, limits.MONEY_MESSAGE),
    )


class FinancialModelSerializer(serializers.ModelSerializer):
    """Inputs in, outputs computed by the service (read-only)."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    tiers = TierInputSerializer(many=True, write_only=True, min_length=1, max_length=3)
    margin_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        write_only=True,
        **limits.api_limit(Decimal("0"), Decimal("100"), limits.PERCENT_MESSAGE),
    )
    mdf_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        write_only=True,
        **limits.api_limit(Decimal("0"), Decimal("100"), limits.PERCENT_MESSAGE),
    )
    management_cost_per_partner = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        write_only=True,
        **limits.api_limit(Decimal("0"), limits.MONEY_MAX, limits.MONEY_MESSAGE),
    )
    overwrite = serializers.BooleanField(
        write_only=True, default=False, help_text="Replace an existing baseline of the period."
    )
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = FinancialModel
        fields = [
            "id",
            "period",
            "currency",
            "tiers",
            "margin_pct",
            "mdf_pct",
            "management_cost_per_partner",
            "overwrite",
            "inputs",
            "projected_revenue",
            "projected_cost",
            "planned_ropi",
            "notes",
            "created_by",
            "created_at",
        ]
        read_only_fields = [
            "inputs",
            "projected_revenue",
            "projected_cost",
            "planned_ropi",
            "created_at",
        ]
        # Uniqueness per period is the service's call (it can overwrite).
        validators: list = []


class FinancialModelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = FinancialModelSerializer
    required_perms = (Perm.PROGRAM_VIEW,)
    filterset_fields = ["period"]

    def scoped_queryset(self):
        return selectors.financial_models(self.actor)

    @extend_schema(request=FinancialModelSerializer, responses={201: FinancialModelSerializer})
    def create(self, request):
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        model = services.financial_model_save(
            actor=self.actor,
            period=data["period"],
            currency=data.get("currency", "USD"),
            tiers=[services.TierInput(**tier) for tier in data["tiers"]],
            margin_pct=data["margin_pct"],
            mdf_pct=data["mdf_pct"],
            management_cost_per_partner=data["management_cost_per_partner"],
            notes=data.get("notes", ""),
            overwrite=data["overwrite"],
        )
        return Response(self.get_serializer(model).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("gtm-plays", GtmPlayViewSet, basename="gtm-play")
    router.register("swot-items", SwotItemViewSet, basename="swot-item")
    router.register("financial-models", FinancialModelViewSet, basename="financial-model")
