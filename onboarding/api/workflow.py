"""API: onboarding runs (with steps) and their mail log, read-only; cadence steps (CRUD)."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from tenancy import access, emails
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet
from tenancy.models import OutboundEmail

from ..models import CadenceStep, EmailKind, OnboardingRun, OnboardingStep
from ..selectors import cadence as cadence_selectors
from ..selectors import workflow as selectors
from ..services import cadence as cadence_services


class OnboardingStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = OnboardingStep
        fields = ["key", "status", "attempts", "last_error", "detail", "completed_at"]


class OnboardingRunSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    signature = serializers.UUIDField(source="signature.uuid", read_only=True)
    steps = OnboardingStepSerializer(many=True, read_only=True)

    class Meta:
        model = OnboardingRun
        fields = [
            "id",
            "partner",
            "partner_name",
            "signature",
            "status",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
            "started_at",
            "finished_at",
            "steps",
        ]


class OutboundEmailSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner_uuid", read_only=True, default=None)
    kind = serializers.SerializerMethodField(help_text="welcome_kit or cadence.")
    cadence_step = serializers.SerializerMethodField(help_text="The cadence step's id (UUID).")
    unconfirmed = serializers.SerializerMethodField(
        help_text="True when a worker stopped while sending: it may or may not have gone out."
    )

    class Meta:
        model = OutboundEmail
        fields = [
            "id",
            "partner",
            "kind",
            "cadence_step",
            "recipient_email",
            "from_email",
            "subject",
            "status",
            "unconfirmed",
            "reason",
            "attempts",
            "last_error",
            "next_attempt_at",
            "created_at",
            "sent_at",
        ]

    def get_unconfirmed(self, email) -> bool:
        return email.status == "sending"

    def get_kind(self, email) -> str:
        return email.kind.removeprefix("onboarding.")

    def get_cadence_step(self, email) -> uuid.UUID | None:
        return email.source_uuid if email.kind == EmailKind.CADENCE else None


_partner_filter = OpenApiParameter("partner", str, description="A partner's id (UUID).")


class _PartnerFilterMixin:
    partner_lookup = "partner__uuid"

    def filter_partner(self, qs):
        partner = self.request.query_params.get("partner")
        if partner:
            try:
                qs = qs.filter(**{self.partner_lookup: uuid.UUID(partner)})
            except ValueError:
                return qs.none()
        return qs


@extend_schema_view(list=extend_schema(parameters=[_partner_filter]))
class OnboardingRunViewSet(
    _PartnerFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    """Onboarding runs of the partners the caller may see (channel managers: theirs)."""

    serializer_class = OnboardingRunSerializer

    def scoped_queryset(self):
        access.require(self.actor, Perm.PARTNERS_VIEW)
        access.require(self.actor, Perm.CONSOLE_VIEW)
        return self.filter_partner(selectors.runs_for(self.actor)).order_by("-created_at", "-id")


@extend_schema_view(list=extend_schema(parameters=[_partner_filter]))
class OutboundEmailViewSet(
    _PartnerFilterMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    """Every onboarding email (welcome kits, cadence) with its status, in the caller's scope
    (the tenant's mail log: program admins all, channel managers their partners')."""

    serializer_class = OutboundEmailSerializer
    partner_lookup = "partner_uuid"

    def scoped_queryset(self):
        access.require(self.actor, Perm.PARTNERS_VIEW)
        access.require(self.actor, Perm.CONSOLE_VIEW)
        qs = emails.emails_for(self.actor).filter(
            kind__in=[EmailKind.WELCOME_KIT, EmailKind.CADENCE]
        )
        return self.filter_partner(qs)


class CadenceStepSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = CadenceStep
        fields = [
            "id",
            "day_offset",
            "subject",
            "body",
            "condition",
            "sender",
            "audience",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class CadenceStepViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantViewSet,
):
    """The 30-day cadence: readable with PROGRAM_VIEW, editable with PROGRAM_MANAGE."""

    serializer_class = CadenceStepSerializer

    def scoped_queryset(self):
        access.require(self.actor, Perm.PROGRAM_VIEW)
        return cadence_selectors.cadence_steps()

    def create(self, request, *args, **kwargs):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        step = cadence_services.cadence_step_create(actor=self.actor, **payload.validated_data)
        return Response(self.get_serializer(step).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        step = self.get_object()
        payload = self.get_serializer(step, data=request.data, partial=kwargs.get("partial", False))
        payload.is_valid(raise_exception=True)
        step = cadence_services.cadence_step_update(
            actor=self.actor, step=CadenceStep.objects.get(pk=step.pk), **payload.validated_data
        )
        return Response(self.get_serializer(step).data)

    def destroy(self, request, *args, **kwargs):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        cadence_services.cadence_step_delete(actor=self.actor, step=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router) -> None:
    router.register("onboarding-runs", OnboardingRunViewSet, basename="onboarding-run")
    router.register("onboarding-emails", OutboundEmailViewSet, basename="onboarding-email")
    router.register("cadence-steps", CadenceStepViewSet, basename="cadence-step")
