"""Applications over the API: what the public form received, and the review of those held beside
an existing partner (merge, create a new prospect, reject). Writes go through
partners.services.applications."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..selectors import applications as selectors
from ..services import applications as services
from ..services import routing
from . import serializers as s


class PartnerApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Applications on the partners the caller may see. `?to_review=true`: only those held for
    review (they named a company already in the program) and not yet decided."""

    serializer_class = s.ApplicationSerializer
    # Staff only: partner users may see their own organisation, never what was submitted about it.
    required_perms = (Perm.CONSOLE_VIEW, Perm.PARTNERS_VIEW)

    def scoped_queryset(self):
        if self.action == "list":
            queue = self.request.query_params.get("queue", "")
            if self.request.query_params.get("to_review") in ("true", "1") or queue == "review":
                return selectors.applications_to_review(self.actor)
            if queue == "mine":
                return selectors.applications_awaiting(self.actor)
            if queue == "unassigned":
                return selectors.applications_unassigned(self.actor)
        return selectors.applications_for(self.actor)

    @extend_schema(
        parameters=[
            OpenApiParameter("to_review", bool, description="Only applications held for review."),
            OpenApiParameter(
                "queue",
                str,
                enum=["mine", "unassigned", "review"],
                description="mine: undecided and assigned to the caller; unassigned: waiting for "
                "a manager to claim; review: held for review.",
            ),
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _reply(self, application):
        return Response(s.ApplicationSerializer(self.scoped_queryset().get(pk=application.pk)).data)

    @extend_schema(
        request=s.ApplicationMergeSerializer,
        responses=s.ApplicationSerializer,
        description="Take the chosen submitted fields into the partner the application matched "
        "(lists are added to, other values replaced); with `contact_role`, add the applicant as "
        "a contact. Staff who manage that partner.",
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, id=None):
        application = self.get_object()
        payload = s.ApplicationMergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.application_merge(
            actor=self.actor,
            application=application,
            fields=payload.validated_data["fields_to_take"],
            contact_role=payload.validated_data["contact_role"],
        )
        return self._reply(application)

    @extend_schema(
        request=s.ApplicationCreateProspectSerializer,
        responses=s.ApplicationSerializer,
        description="The application is another company: it becomes a new prospect in "
        "“applied” under the given name and website, decided later like any application.",
    )
    @action(detail=True, methods=["post"], url_path="create-prospect", url_name="create_prospect")
    def create_prospect(self, request, id=None):
        application = self.get_object()
        payload = s.ApplicationCreateProspectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.application_create_prospect(
            actor=self.actor, application=application, **payload.validated_data
        )
        return self._reply(application)

    @extend_schema(
        request=s.ApplicationRejectSerializer,
        responses=s.ApplicationSerializer,
        description="Decline a held application; the applicant is told by email.",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, id=None):
        application = self.get_object()
        payload = s.ApplicationRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if application.held_for_review:
            services.application_reject(
                actor=self.actor, application=application, **payload.validated_data
            )
        else:
            routing.application_decide(
                actor=self.actor, application=application, approve=False, **payload.validated_data
            )
        return self._reply(application)

    @extend_schema(
        request=None,
        responses=s.ApplicationSerializer,
        description="Take an application from the unassigned queue: the caller becomes the "
        "prospect's channel manager (409-free: a second claimer gets 400 with who has it).",
    )
    @action(detail=True, methods=["post"])
    def claim(self, request, id=None):
        application = self.get_object()
        routing.application_claim(actor=self.actor, application=application)
        return self._reply(application)

    @extend_schema(
        request=s.ApplicationRejectSerializer,
        responses=s.ApplicationSerializer,
        description="Approve a new prospect's application (the manager it is assigned to, or a "
        "program admin); the applicant is told by email.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, id=None):
        application = self.get_object()
        payload = s.ApplicationRejectSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        routing.application_decide(
            actor=self.actor, application=application, approve=True, **payload.validated_data
        )
        return self._reply(application)


def register(router) -> None:
    router.register(
        "partner-applications", PartnerApplicationViewSet, basename="partner-application"
    )
