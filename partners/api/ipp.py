"""IPP API: the criteria (read with program access, written by program admins through services)
and the partners' saved fit scores (visible as the partners themselves are)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..forms import limits
from ..models import CriterionField, CriterionGroup, IppCriterion, Operator, PartnerOrganization
from ..selectors import ipp as selectors
from ..services import ipp as services


class IppCriterionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    value = serializers.JSONField(
        required=False,
        help_text="A list of values for any_of/all_of/none_of, a number for gte/lte, "
        "nothing for is_true.",
    )
    profile_version = serializers.IntegerField(source="profile.version", read_only=True)

    class Meta:
        model = IppCriterion
        fields = [
            "id",
            "group",
            "label",
            "field",
            "operator",
            "value",
            "weight",
            "position",
            "profile_version",
        ]
        read_only_fields = ["position"]


class IppCriterionWriteSerializer(serializers.Serializer):
    """Input shape only: the service checks that the value fits the field and rule."""

    group = serializers.ChoiceField(choices=CriterionGroup.choices)
    label = serializers.CharField(max_length=160)
    field = serializers.ChoiceField(choices=CriterionField.choices)
    operator = serializers.ChoiceField(choices=Operator.choices)
    value = serializers.JSONField(required=False, default=list)
    weight = serializers.IntegerField(default=10, **limits.api_limit(1, 100, limits.WEIGHT_MESSAGE))


class IppScoreSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    score = serializers.IntegerField(source="ipp_score", read_only=True, allow_null=True)
    explanation = serializers.JSONField(source="ipp_explanation", read_only=True)
    scored_at = serializers.DateTimeField(source="ipp_scored_at", read_only=True, allow_null=True)

    class Meta:
        model = PartnerOrganization
        fields = ["id", "name", "state", "score", "explanation", "scored_at"]


class IppCriterionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    """The tenant's IPP criteria. Read: program access; write: program admins."""

    serializer_class = IppCriterionSerializer
    required_perms = (Perm.PROGRAM_VIEW,)
    filterset_fields = ["group", "field"]

    def scoped_queryset(self):
        return selectors.criteria_for(self.actor)

    @extend_schema(request=IppCriterionWriteSerializer, responses={201: IppCriterionSerializer})
    def create(self, request):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = IppCriterionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        criterion = services.criterion_create(actor=self.actor, **payload.validated_data)
        return Response(IppCriterionSerializer(criterion).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=IppCriterionWriteSerializer, responses=IppCriterionSerializer)
    def update(self, request, id=None):
        return self._update(request, partial=False)

    @extend_schema(request=IppCriterionWriteSerializer, responses=IppCriterionSerializer)
    def partial_update(self, request, id=None):
        return self._update(request, partial=True)

    def _update(self, request, *, partial: bool):
        criterion = self.get_object()
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = IppCriterionWriteSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        changes = {k: v for k, v in payload.validated_data.items() if k in request.data}
        if not partial:
            changes = payload.validated_data
        criterion = services.criterion_update(actor=self.actor, criterion=criterion, **changes)
        return Response(IppCriterionSerializer(criterion).data)

    @extend_schema(responses={204: None})
    def destroy(self, request, id=None):
        criterion = self.get_object()
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        services.criterion_delete(actor=self.actor, criterion=criterion)
        return Response(status=status.HTTP_204_NO_CONTENT)


class IppScoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Partners' IPP fit scores and explanations, by partner id; best first."""

    serializer_class = IppScoreSerializer
    required_perms = (Perm.PROGRAM_VIEW,)
    filterset_fields = ["state"]

    def scoped_queryset(self):
        return selectors.scored_partners_for(self.actor)


def register(router) -> None:
    router.register("ipp-criteria", IppCriterionViewSet, basename="ipp-criterion")
    router.register("ipp-scores", IppScoreViewSet, basename="ipp-score")
