"""API: approval routing rules (`deal-routing-rules`). Read with program view; create, update,
delete and `move/` with program manage (checked by the services). The approver is named by email
and must be an active channel manager or program admin of the tenant (else 400 on `approver`)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet
from tenancy.models import User

from ..models import RoutingRule
from ..selectors import routing as selectors
from ..services import routing as services


@extend_schema_field(OpenApiTypes.EMAIL)
class ApproverField(serializers.Field):
    """An email in, the user out; unknown people fail like non-approvers (no enumeration)."""

    def to_internal_value(self, data):
        if data in (None, ""):
            return None
        email = serializers.EmailField().run_validation(data)
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            raise serializers.ValidationError(
                "The approver must be an active channel manager or program admin of this program."
            )
        return user

    def to_representation(self, value):
        return value.email if value is not None else None


class RoutingRuleSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, max_length=250
    )
    approver = ApproverField(
        required=False, allow_null=True, help_text="Email; null = the program queue."
    )
    # Any number: the service states the limits in business terms.
    min_value = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True
    )
    max_value = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False, allow_null=True
    )

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "position",
            "name",
            "region",
            "countries",
            "min_value",
            "max_value",
            "approver",
            "is_active",
        ]
        read_only_fields = ["id", "position"]


class MoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=["up", "down"])


class RoutingRuleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    TenantViewSet,
):
    serializer_class = RoutingRuleSerializer
    required_perms = (Perm.PROGRAM_VIEW,)

    def scoped_queryset(self):
        return selectors.routing_rules(self.actor)

    def _payload(self, partial: bool) -> dict:
        # The role check answers before the input is looked at.
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = RoutingRuleSerializer(data=self.request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        return dict(payload.validated_data)

    def create(self, request):
        rule = services.routing_rule_create(actor=self.actor, **self._payload(partial=False))
        return Response(RoutingRuleSerializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request, id=None):
        rule = self.get_object()
        rule = services.routing_rule_update(
            actor=self.actor, rule=rule, **self._payload(partial=False)
        )
        return Response(RoutingRuleSerializer(rule).data)

    def partial_update(self, request, id=None):
        rule = self.get_object()
        rule = services.routing_rule_update(
            actor=self.actor, rule=rule, **self._payload(partial=True)
        )
        return Response(RoutingRuleSerializer(rule).data)

    def destroy(self, request, id=None):
        rule = self.get_object()
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        services.routing_rule_delete(actor=self.actor, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=MoveSerializer, responses=RoutingRuleSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, id=None):
        rule = self.get_object()
        payload = MoveSerializer(data=request.data)
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload.is_valid(raise_exception=True)
        rule = services.routing_rule_move(
            actor=self.actor, rule=rule, direction=payload.validated_data["direction"]
        )
        return Response(RoutingRuleSerializer(rule).data)


def register(router) -> None:
    router.register("deal-routing-rules", RoutingRuleViewSet, basename="deal-routing-rule")
