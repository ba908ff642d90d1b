"""API: the console's deal-registration report (same numbers as the page)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import viewsets
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm

from ..selectors import reports as selectors


class DealReportViewSet(viewsets.ViewSet):
    required_perms = (Perm.DEALS_VIEW,)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="Default: 90 days ago."),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Default: today."),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        actor = access.get_actor(request)
        if actor.is_partner:  # partners see their own registrations, not program reports
            self.permission_denied(request, message="Your role does not allow this.")
        period = selectors.Period.parse(
            request.query_params.get("from"), request.query_params.get("to")
        )
        return Response(selectors.deal_report(actor, period))


def register(router) -> None:
    router.register("deal-reports", DealReportViewSet, basename="deal-report")
