"""API: fund requests. Listed and read in the caller's scope (partner users and keys: their own
organisation's; channel managers: their partners'; program staff and marketing: all). A partner
asks for funds (POST, from one of its allocations), changes a request sent back for changes
(`resubmit/`) or withdraws it (`withdraw/`); the step's reviewer decides (`decide/`: approve —
all or part —, reject or ask for changes). 403 `benefit_locked` with the missing onboarding steps
while the partner's MDF benefit is locked."""

from __future__ import annotations

import uuid

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from onboarding.models import Benefit
from onboarding.services.progress import require_benefit
from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from .. import selectors
from ..services import requests as services
from . import serializers as s

REFUSED = OpenApiResponse(
    description="Not allowed (`detail`), or `code: benefit_locked` with the `missing` onboarding "
    "steps (each with `step`, `label`, `how`, `url`)."
)

# Example in the OpenAPI document: a partner (Northwind Systems) asks for funds for an event.
# NOTE: no example of the 201 answer yet: it carries `"claim": null`, which the schema does not
# allow (FundRequestSerializer.claim lacks allow_null), so it could not validate.
NEW_WORKSHOP = {
    "allocation": "26562a0f-8d73-45b7-a012-e02160be2043",
    "title": "Cloud migration workshop, Seattle",
    "activity_type": "event",
    "starts_on": "2026-12-15",
    "ends_on": "2026-12-15",
    "amount": "12000.00",
    "expected_leads": 40,
    "expected_pipeline": "480000.00",
    "description": "A half-day workshop for 40 IT leaders of mid-size companies, with a demo.",
}
CREATE_EXAMPLES = [
    OpenApiExample(
        "EventRequest",
        summary="Funds for an event, from the partner's allocation",
        value=NEW_WORKSHOP,
        request_only=True,
    ),
]


class FundRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Fund requests in the caller's scope, newest first; `?status=` and `?activity_type=`
    narrow the list."""

    serializer_class = s.FundRequestSerializer
    required_perms = (Perm.MDF_VIEW,)
    filterset_fields = ["status", "activity_type"]

    def scoped_queryset(self):
        return selectors.requests_for(self.actor)

    def get_serializer_class(self):
        return s.FundRequestSerializer if self.action == "list" else s.FundRequestDetailSerializer

    def get_object(self):
        try:
            request_uuid = uuid.UUID(str(self.kwargs[self.lookup_url_kwarg]))
        except ValueError:
            raise NotFound from None
        fund_request = selectors.request_detail(self.actor, request_uuid)
        if fund_request is None:
            raise NotFound
        return fund_request

    def _fresh(self, fund_request, code=status.HTTP_200_OK) -> Response:
        fund_request = selectors.request_detail(self.actor, fund_request.uuid)
        return Response(s.FundRequestDetailSerializer(fund_request).data, status=code)

    @extend_schema(
        request=s.FundRequestCreateSerializer,
        responses={
            201: s.FundRequestDetailSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: REFUSED,
        },
        examples=CREATE_EXAMPLES,
    )
    def create(self, request):
        """Ask for funds from one of the caller's organisation's allocations; the amount is held
        until the request is decided (refused when more than is available)."""
        access.require(self.actor, Perm.MDF_REQUEST)
        payload = s.FundRequestCreateSerializer(data=request.data)
        if not payload.is_valid():
            # The gate answers before field errors: a locked partner learns what to do first.
            # (On valid input the service checks it, once.)
            require_benefit(self.actor, Benefit.MDF)
            raise ValidationError(payload.errors)
        data = dict(payload.validated_data)
        allocation = get_object_or_404(
            selectors.partner_allocations(self.actor), uuid=data.pop("allocation")
        )
        fund_request = services.request_submit(actor=self.actor, allocation=allocation, **data)
        return self._fresh(fund_request, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MdfDecisionSerializer,
        responses={200: s.FundRequestDetailSerializer, 400: None, 403: None},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, id=None):
        """Approve (all or part), reject or ask for changes: the reviewer of the request's
        current step (its channel manager, then marketing above the fund's threshold)."""
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        fund_request = self.get_object()
        access.require(self.actor, Perm.MDF_DECIDE)
        payload = s.MdfDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.request_decide(
            actor=self.actor, fund_request=fund_request, **payload.validated_data
        )
        return self._fresh(fund_request)

    @extend_schema(
        request=s.FundRequestResubmitSerializer,
        responses={200: s.FundRequestDetailSerializer, 400: None, 403: None},
    )
    @action(detail=True, methods=["post"])
    def resubmit(self, request, id=None):
        """Change a request sent back for changes and send it again (the partner)."""
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        fund_request = self.get_object()
        access.require(self.actor, Perm.MDF_REQUEST)
        payload = s.FundRequestResubmitSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.request_resubmit(
            actor=self.actor, fund_request=fund_request, **payload.validated_data
        )
        return self._fresh(fund_request)

    @extend_schema(
        request=s.MdfCommentSerializer,
        responses={200: s.FundRequestDetailSerializer, 400: None, 403: None},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, id=None):
        """Withdraw a request not yet claimed (the partner): its funds are released."""
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        fund_request = self.get_object()
        access.require(self.actor, Perm.MDF_REQUEST)
        payload = s.MdfCommentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.request_withdraw(
            actor=self.actor, fund_request=fund_request, **payload.validated_data
        )
        return self._fresh(fund_request)


def register(router) -> None:
    router.register("mdf-requests", FundRequestViewSet, basename="mdf-request")
