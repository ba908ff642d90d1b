"""API: approve / reject a registration (deciders only; 404 outside the actor's reach, 403 for a
role that may not decide, 400 with the reason when the account is already locked)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm

from ..services import decisions as services


class DealDecisionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class DecisionActions:
    """Mixed into the deal-registrations viewset: `POST …/{id}/approve/` and `…/reject/`."""

    def _decide(self, request, decide):
        access.require(self.actor, Perm.DEALS_DECIDE)
        deal = self.get_object()
        payload = DealDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        deal = decide(actor=self.actor, registration=deal, reason=payload.validated_data["reason"])
        deal = self.get_queryset().get(pk=deal.pk)
        return Response(self.get_serializer(deal).data)

    @extend_schema(
        request=DealDecisionSerializer,
        responses={200: OpenApiResponse(description="The approved registration."), 400: None},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, id=None):
        return self._decide(request, services.deal_approve)

    @extend_schema(
        request=DealDecisionSerializer,
        responses={200: OpenApiResponse(description="The rejected registration."), 400: None},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        return self._decide(request, services.deal_reject)
