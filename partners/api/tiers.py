"""Tiers API: tiers (read: staff with program access and partner users; write: program admins),
tier proposals (staff, scoped; decide), revenue records (scoped ledger; record via the service)
and a partner's progress toward the next tier."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..forms import limits
from ..models import LeadPriority, PartnerOrganization, RevenueRecord, Tier, TierProposal
from ..selectors import organization as partner_selectors
from ..selectors import tiers as selectors
from ..services import revenue as revenue_services
from ..services import tiers as services

# --- Serializers ------------------------------------------------------------------------------


class TierSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    required_certifications = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False
    )
    lead_priority = serializers.ChoiceField(choices=LeadPriority.choices, required=False)

    class Meta:
        model = Tier
        fields = ["id", *services.TIER_FIELDS]
        extra_kwargs = {
            "rank": limits.api_limit(1, services.MAX_TIERS, limits.RANK_MESSAGE),
            "min_trailing_revenue": limits.api_limit(
                Decimal("0"), limits.MONEY_MAX, limits.MONEY_MESSAGE
            ),
            "min_certified_people": limits.api_limit(
                0, limits.CERTIFIED_PEOPLE_MAX, limits.CERTIFIED_PEOPLE_MESSAGE
            ),
            "discount_margin_pct": limits.api_limit(
                Decimal("0"), Decimal("100"), limits.PERCENT_MESSAGE
            ),
            "mdf_share_pct": limits.api_limit(Decimal("0"), Decimal("100"), limits.PERCENT_MESSAGE),
        }


@extend_schema_field(OpenApiTypes.UUID)
class TierRefField(serializers.SlugRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uuid")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class RequirementSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    have = serializers.JSONField()
    need = serializers.JSONField()
    met = serializers.BooleanField()
    tier = serializers.CharField(required=False)


class TierProposalSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    from_tier = TierRefField()
    to_tier = TierRefField()
    from_tier_name = serializers.CharField(source="from_tier.name", read_only=True, default=None)
    to_tier_name = serializers.CharField(source="to_tier.name", read_only=True, default=None)
    is_upgrade = serializers.BooleanField(read_only=True)
    reasons = RequirementSerializer(many=True, read_only=True)
    decided_by = serializers.EmailField(
        source="decided_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = TierProposal
        fields = [
            "id",
            "partner",
            "partner_name",
            "from_tier",
            "from_tier_name",
            "to_tier",
            "to_tier_name",
            "is_upgrade",
            "reasons",
            "status",
            "created_at",
            "decided_at",
            "decided_by",
            "decision_note",
        ]
        read_only_fields = fields


class TierDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class VisiblePartnerField(serializers.SlugRelatedField):
    """A partner by UUID among those the requesting actor may see."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uuid")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return PartnerOrganization.objects.none()
        return partner_selectors.partner_organizations_for(access.get_actor(request))


class RevenueRecordSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = VisiblePartnerField()
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = RevenueRecord
        fields = [
            "id",
            "partner",
            "partner_name",
            "kind",
            "customer",
            "product",
            "amount",
            "currency",
            "booked_on",
            "source",
            "external_ref",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["source", "created_by", "created_at"]
        extra_kwargs = {
            "product": {"required": False},
            "external_ref": {"required": False},
            "amount": limits.api_limit(Decimal("0.01"), limits.MONEY_MAX, limits.REVENUE_MESSAGE),
        }


class TierProgressRowSerializer(serializers.Serializer):
    key = serializers.CharField()
    kind = serializers.CharField()
    label = serializers.CharField()
    have = serializers.SerializerMethodField()
    need = serializers.SerializerMethodField()
    met = serializers.BooleanField()
    pct = serializers.IntegerField()

    def get_have(self, row) -> str | int | bool:
        return str(row.have) if row.kind == "money" else row.have

    def get_need(self, row) -> str | int | bool:
        return str(row.need) if row.kind == "money" else row.need


class TierProgressSerializer(serializers.Serializer):
    partner = serializers.UUIDField(source="partner.uuid")
    current_tier = TierRefField(allow_null=True)  # none yet, or none above the top tier
    next_tier = TierRefField(allow_null=True)
    current_tier_name = serializers.CharField(
        source="current_tier.name", default=None, allow_null=True
    )
    next_tier_name = serializers.CharField(source="next_tier.name", default=None, allow_null=True)
    trailing_revenue = serializers.DecimalField(
        source="facts.trailing_revenue", max_digits=16, decimal_places=2
    )
    currency = serializers.CharField(source="facts.currency")
    below_tier_since = serializers.DateTimeField(allow_null=True)
    requirements = TierProgressRowSerializer(source="rows", many=True)
    outlook = serializers.CharField(
        source="outlook.message", help_text="What happens next, in words."
    )
    next_evaluation = serializers.DateTimeField(source="outlook.next_evaluation", allow_null=True)


# --- Viewsets ---------------------------------------------------------------------------------


class TierViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    TenantViewSet,
):
    """Tiers of the program. Everyone in the program may read them; program admins edit them."""

    serializer_class = TierSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        actor = self.actor
        if not (actor.has(Perm.PROGRAM_VIEW) or actor.has(Perm.PORTAL_VIEW)):
            access.require(actor, Perm.PROGRAM_VIEW)  # raises 403

    def scoped_queryset(self):
        return selectors.tier_list()

    def perform_create(self, serializer):
        serializer.instance = services.tier_save(actor=self.actor, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.tier_save(
            actor=self.actor, tier=serializer.instance, **serializer.validated_data
        )

    def get_object(self):
        tier = super().get_object()
        if self.request.method not in ("GET", "HEAD", "OPTIONS"):
            access.require(self.actor, Perm.PROGRAM_MANAGE)
            # Validate against a fresh copy: a refused edit must not leave the instance changed.
            tier = Tier.objects.get(pk=tier.pk)
        return tier


class TierProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Proposals of the partners the caller may see (channel managers: their own partners)."""

    serializer_class = TierProposalSerializer
    required_perms = (Perm.PROGRAM_VIEW,)
    filterset_fields = ["status"]

    def scoped_queryset(self):
        return selectors.tier_proposals_for(self.actor)

    @extend_schema(request=TierDecisionSerializer, responses=TierProposalSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, id=None):
        proposal = self.get_object()
        payload = TierDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        proposal = services.tier_proposal_decide(
            actor=self.actor,
            proposal=proposal,
            approve=payload.validated_data["approve"],
            note=payload.validated_data["note"],
        )
        return Response(TierProposalSerializer(proposal).data)


class RevenueRecordViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, TenantViewSet
):
    """The revenue ledger. Staff see the partners they may see; partner users their own org's.
    Recording needs the right to manage the partner (program admins; managers their partners).
    """

    serializer_class = RevenueRecordSerializer
    required_perms = (Perm.PARTNERS_VIEW,)
    filterset_fields = {
        "kind": ["exact"],
        "booked_on": ["gte", "lte"],
        "partner__uuid": ["exact"],
        "source": ["exact"],
    }

    def scoped_queryset(self):
        return selectors.revenue_records_for(self.actor)

    def create(self, request, *args, **kwargs):
        if not self.actor.has(Perm.PARTNERS_MANAGE):
            raise PermissionDenied(_("Your role does not allow this."))
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        record = revenue_services.revenue_record_create(
            actor=self.actor, source="api", **payload.validated_data
        )
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)


# Example in the OpenAPI document: a Silver partner (Northwind Systems) on its way to Gold.
TIER_PROGRESS_EXAMPLES = [
    OpenApiExample(
        "SilverToGold",
        summary="Silver, with what Gold needs: revenue, certified people, a certification",
        value={
            "partner": "dc95f789-1be8-417f-ab08-a09240bccd4d",
            "current_tier": "a900809f-4926-46db-9921-e2bf14a949c3",
            "next_tier": "37e27971-a324-4583-99ae-2e88d89fef56",
            "current_tier_name": "Silver",
            "next_tier_name": "Gold",
            "trailing_revenue": "310000.00",
            "currency": "USD",
            "below_tier_since": None,
            "requirements": [
                {
                    "key": "revenue",
                    "kind": "money",
                    "label": "Revenue in the last 12 months (USD)",
                    "have": "310000.00",
                    "need": "1000000.00",
                    "met": False,
                    "pct": 31,
                },
                {
                    "key": "certified_people",
                    "kind": "count",
                    "label": "Currently certified people",
                    "have": 1,
                    "need": 2,
                    "met": False,
                    "pct": 50,
                },
                {
                    "key": "certification:Certified Cloud Sales Professional",
                    "kind": "certification",
                    "label": "Certification: Certified Cloud Sales Professional",
                    "have": True,
                    "need": True,
                    "met": True,
                    "pct": 100,
                },
            ],
            "outlook": "",
            "next_evaluation": None,
        },
    )
]


class TierProgressViewSet(TenantViewSet):
    """A partner's tier and what it needs for the next one (by partner id)."""

    serializer_class = TierProgressSerializer
    required_perms = (Perm.PARTNERS_VIEW,)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PartnerOrganization.objects.none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        return partner_selectors.partner_organizations_for(self.actor).select_related("tier")

    @extend_schema(examples=TIER_PROGRESS_EXAMPLES)
    def retrieve(self, request, id=None):
        partner = self.get_object()
        return Response(TierProgressSerializer(selectors.tier_progress(partner)).data)


def register(router) -> None:
    router.register("tiers", TierViewSet, basename="tier")
    router.register("tier-proposals", TierProposalViewSet, basename="tier-proposal")
    router.register("revenue-records", RevenueRecordViewSet, basename="revenue-record")
    router.register("tier-progress", TierProgressViewSet, basename="tier-progress")
