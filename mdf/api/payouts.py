"""API: payouts (read in the caller's scope; MDF managers record the payment of an approved claim)
and a partner's balance (its allocations, totalled per currency)."""

from __future__ import annotations

from itertools import groupby

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from partners.selectors import organization as partner_selectors
from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from .. import selectors
from ..models import Allocation
from ..services import requests as services
from . import serializers as s
from .claims import claims_for


class PayoutViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Payouts in the caller's scope, latest first; `?paid_on__gte=`, `?paid_on__lte=` and
    `?method=` narrow the list."""

    serializer_class = s.PayoutSerializer
    required_perms = (Perm.MDF_VIEW,)
    filterset_fields = {"paid_on": ["gte", "lte"], "method": ["exact"]}

    def scoped_queryset(self):
        return selectors.payouts_for(self.actor)

    @extend_schema(
        request=s.PayoutCreateSerializer,
        responses={
            201: s.PayoutSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: None,
        },
    )
    def create(self, request):
        """Record the payment of an approved claim (MDF managers): the funds move from committed
        to paid, the request is complete, and the partner gets the remittance advice."""
        access.require(self.actor, Perm.MDF_MANAGE)
        payload = s.PayoutCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        claim = get_object_or_404(claims_for(self.actor), uuid=data.pop("claim"))
        payout = services.payout_record(actor=self.actor, claim=claim, **data)
        payout = self.scoped_queryset().get(pk=payout.pk)
        return Response(s.PayoutSerializer(payout).data, status=status.HTTP_201_CREATED)


class SingleObjectSchema(AutoSchema):
    """This `list` route answers one object (a balance), not a page of rows."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class BalanceViewSet(TenantViewSet):
    """GET: the caller's organisation's MDF balance (partner users and partner keys): each
    allocation, and allocated, held, committed, paid and available totalled per currency."""

    serializer_class = s.MdfBalanceSerializer
    required_perms = (Perm.MDF_VIEW,)
    schema = SingleObjectSchema()
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return Allocation.objects.none()  # not a model listing

    @extend_schema(operation_id="mdf_balance", responses=s.MdfBalanceSerializer)
    def list(self, request):
        actor = self.actor
        if not actor.is_partner:  # vendor staff read allocations on each fund
            self.permission_denied(request, message=_("Your role does not allow this."))
        partner = partner_selectors.partner_organizations_for(actor).first()
        if partner is None:
            raise NotFound
        allocations = list(selectors.partner_allocations(actor).select_related("partner"))
        by_currency = sorted(allocations, key=lambda a: a.fund.currency)
        totals = [
            {"currency": currency, **selectors.totals_of(list(rows))}
            for currency, rows in groupby(by_currency, key=lambda a: a.fund.currency)
        ]
        data = {"partner": partner.uuid, "totals": totals, "allocations": allocations}
        return Response(s.MdfBalanceSerializer(data).data)


def register(router) -> None:
    router.register("mdf-payouts", PayoutViewSet, basename="mdf-payout")
    router.register("mdf-balance", BalanceViewSet, basename="mdf-balance")
