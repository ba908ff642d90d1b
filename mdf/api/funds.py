"""API: funds and their allocations (vendor staff with MDF access read them; MDF managers —
program admins and marketing — create and change funds, set an allocation by hand and allocate a
fund by the tier rules). Partners read their own balance at `mdf-balance`."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from .. import selectors
from ..services import ledger
from . import serializers as s


class FundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The program's MDF funds with what is allocated, held, committed and paid of each."""

    serializer_class = s.FundSerializer
    required_perms = (Perm.CONSOLE_VIEW, Perm.MDF_VIEW)

    def scoped_queryset(self):
        return selectors.funds_with_totals()

    def _reload(self, fund):
        return s.FundSerializer(selectors.funds_with_totals().get(pk=fund.pk)).data

    @extend_schema(
        request=s.FundWriteSerializer,
        responses={201: s.FundSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def create(self, request):
        access.require(self.actor, Perm.MDF_MANAGE)
        payload = s.FundWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fund = ledger.fund_create(actor=self.actor, **payload.validated_data)
        return Response(self._reload(fund), status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.FundUpdateSerializer,
        responses={200: s.FundSerializer, 400: OpenApiResponse(description="Field errors.")},
    )
    def partial_update(self, request, id=None):
        """Change a fund's rules or budget (not below what is allocated already)."""
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        fund = self.get_object()
        access.require(self.actor, Perm.MDF_MANAGE)
        payload = s.FundUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        fund = ledger.fund_update(actor=self.actor, fund=fund, **payload.validated_data)
        return Response(self._reload(fund))

    @extend_schema(
        methods=["GET"],
        responses=s.AllocationSerializer(many=True),
        description="The fund's allocations, one per partner.",
    )
    @extend_schema(
        methods=["POST"],
        request=s.AllocationSetSerializer,
        responses={200: s.AllocationSerializer, 400: OpenApiResponse(description="Field errors.")},
        description="Set a partner's allocation by hand (MDF managers): created the first time, "
        "changed after; the budget must hold what is added, and it cannot go below what the "
        "partner has requested, been approved or paid.",
    )
    @action(detail=True, methods=["get", "post"], serializer_class=s.AllocationSerializer)
    def allocations(self, request, id=None):
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        fund = self.get_object()
        if request.method == "POST":
            access.require(self.actor, Perm.MDF_MANAGE)
            payload = s.AllocationSetSerializer(data=request.data, context={"request": request})
            payload.is_valid(raise_exception=True)
            allocation = ledger.allocation_set(
                actor=self.actor, fund=fund, **payload.validated_data
            )
            allocation = (
                selectors.fund_allocations(fund).select_related("fund").get(pk=allocation.pk)
            )
            return Response(s.AllocationSerializer(allocation).data)
        page = self.paginate_queryset(selectors.fund_allocations(fund).select_related("fund"))
        return self.get_paginated_response(s.AllocationSerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses={200: s.AllocationRunSerializer, 400: OpenApiResponse(description="Refused.")},
    )
    @action(detail=True, methods=["post"], url_path="run-allocations", url_name="run_allocations")
    def run_allocations(self, request, id=None):
        """Allocate the fund by the tier rules (MDF managers): all or nothing; allocations set by
        hand are kept."""
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        fund = self.get_object()
        access.require(self.actor, Perm.MDF_MANAGE)
        run = ledger.allocations_run(actor=self.actor, fund=fund)
        run.fund = selectors.funds_with_totals().get(pk=fund.pk)
        return Response(s.AllocationRunSerializer(run).data)


def register(router) -> None:
    router.register("mdf-funds", FundViewSet, basename="mdf-fund")
