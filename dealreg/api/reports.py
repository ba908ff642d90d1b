"""API: the console's deal-registration report (same numbers as the page)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm

from ..forms.reports import ReportPeriodForm
from ..selectors import reports as selectors


class DealReportViewSet(viewsets.ViewSet):
    required_perms = (Perm.DEALS_VIEW,)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from",
                OpenApiTypes.DATE,
                description="Default: 90 days before `to`. From 2000-01-01; "
                "at most two years before `to`.",
            ),
            OpenApiParameter(
                "to",
                OpenApiTypes.DATE,
                description="Default: today. At most a year ahead; not before `from`.",
            ),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def list(self, request):
        actor = access.get_actor(request)
        if actor.is_partner:  # partners see their own registrations, not program reports
            self.permission_denied(request, message="Your role does not allow this.")
        form = ReportPeriodForm.for_query(request.query_params)
        if not form.ok:
            raise ValidationError({name: list(errors) for name, errors in form.errors.items()})
        return Response(selectors.deal_report(actor, form.period))


def register(router) -> None:
    router.register("deal-reports", DealReportViewSet, basename="deal-report")
