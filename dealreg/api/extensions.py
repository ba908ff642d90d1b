"""API: extension requests (`deal-extension-requests`). List/retrieve scoped (partner users and
keys: their organisation's; vendor staff: the partners in their scope). POST (partners, with
`registration` = the registration's id and a `reason`) asks for more time; `approve/` and
`reject/` (approvers; a reason is required to reject) decide."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..models import ExtensionRequest
from ..selectors.extensions import extensions_for
from ..selectors.registration import deals_for
from ..services import extensions as services


class ExtensionRequestSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    registration = serializers.UUIDField(source="registration.uuid", read_only=True)
    customer_name = serializers.CharField(source="registration.customer_name", read_only=True)
    partner = serializers.UUIDField(source="registration.partner.uuid", read_only=True)
    expires_at = serializers.DateTimeField(source="registration.expires_at", read_only=True)
    extensions_used = serializers.IntegerField(
        source="registration.extensions_used", read_only=True
    )
    requested_by = serializers.EmailField(
        source="requested_by.email", read_only=True, allow_null=True, default=None
    )
    decided_by = serializers.EmailField(
        source="decided_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "registration",
            "customer_name",
            "partner",
            "expires_at",
            "extensions_used",
            "reason",
            "status",
            "requested_by",
            "created_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class ExtensionCreateSerializer(serializers.Serializer):
    registration = serializers.UUIDField()
    reason = serializers.CharField(max_length=2000)


class DecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ExtensionRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = ExtensionRequestSerializer
    required_perms = (Perm.DEALS_VIEW,)
    filterset_fields = ["status"]

    def scoped_queryset(self):
        return extensions_for(self.actor)

    def _fresh(self, extension):
        return Response(
            ExtensionRequestSerializer(self.scoped_queryset().get(pk=extension.pk)).data
        )

    @extend_schema(request=ExtensionCreateSerializer, responses={201: ExtensionRequestSerializer})
    def create(self, request):
        access.require(self.actor, Perm.DEALS_REGISTER)
        payload = ExtensionCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deal = get_object_or_404(deals_for(self.actor), uuid=payload.validated_data["registration"])
        extension = services.extension_request(
            actor=self.actor, registration=deal, reason=payload.validated_data["reason"]
        )
        response = self._fresh(extension)
        response.status_code = status.HTTP_201_CREATED
        return response

    def _decide(self, request, decide):
        access.require(self.actor, Perm.DEALS_DECIDE)
        extension = self.get_object()
        payload = DecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        extension = decide(
            actor=self.actor, extension=extension, reason=payload.validated_data.get("reason", "")
        )
        return self._fresh(extension)

    @extend_schema(request=DecisionSerializer, responses=ExtensionRequestSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, id=None):
        return self._decide(request, services.extension_approve)

    @extend_schema(request=DecisionSerializer, responses=ExtensionRequestSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        return self._decide(request, services.extension_reject)


def register(router) -> None:
    router.register(
        "deal-extension-requests", ExtensionRequestViewSet, basename="deal-extension-request"
    )
