"""API: live sessions (list, retrieve, register, cancel) and registrations (own; staff: all)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from . import selectors, services
from .models import LiveSession, Registration


class LiveSessionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    course = serializers.UUIDField(source="course.uuid", read_only=True, default=None)
    duration_hours = serializers.DecimalField(max_digits=6, decimal_places=2, read_only=True)
    confirmed_count = serializers.IntegerField(read_only=True)
    waitlist_count = serializers.IntegerField(read_only=True)
    seats_left = serializers.SerializerMethodField()
    my_status = serializers.SerializerMethodField(
        help_text="The caller's registration status (confirmed, waitlisted, cancelled) or null."
    )

    class Meta:
        model = LiveSession
        fields = [
            "id",
            "title",
            "description",
            "instructor_name",
            "course",
            "starts_at",
            "ends_at",
            "duration_hours",
            "location",
            "join_url",
            "capacity",
            "confirmed_count",
            "waitlist_count",
            "seats_left",
            "my_status",
        ]

    def get_seats_left(self, session) -> int:
        return max(session.capacity - session.confirmed_count, 0)

    def get_my_status(self, session) -> str | None:
        return getattr(session, "my_status", None)


class RegistrationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    session = serializers.UUIDField(source="session.uuid", read_only=True)
    session_title = serializers.CharField(source="session.title", read_only=True)
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Registration
        fields = [
            "id",
            "session",
            "session_title",
            "user",
            "status",
            "queued_at",
            "confirmed_at",
            "cancelled_at",
            "attended",
        ]


class LiveSessionWriteSerializer(serializers.Serializer):
    """Session scheduling (program admins). Times carry their zone (ISO 8601 with an offset);
    the window, length and capacity limits and their words are the services'."""

    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    instructor_name = serializers.CharField(max_length=200)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    join_url = serializers.URLField(required=False, allow_blank=True)
    capacity = serializers.IntegerField(required=False)


def _require_reader(actor) -> None:
    access.require_mfa(actor)
    if not (actor.has(Perm.PORTAL_VIEW) or actor.has(Perm.PROGRAM_VIEW)):
        raise PermissionDenied(_("Your role does not allow this."))


class LiveSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = LiveSessionSerializer

    def scoped_queryset(self):
        actor = self.actor
        _require_reader(actor)
        if actor.is_partner:
            qs = selectors.portal_sessions(actor, upcoming=False)
        else:
            qs = selectors.console_sessions(actor)
        if self.request.query_params.get("upcoming") in ("1", "true"):
            from django.utils import timezone

            qs = qs.filter(starts_at__gt=timezone.now())
        return qs.order_by("starts_at", "id")

    @extend_schema(
        parameters=[OpenApiParameter("upcoming", bool, description="Only future sessions.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=LiveSessionWriteSerializer, responses={201: LiveSessionSerializer})
    def create(self, request):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = LiveSessionWriteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        session = services.session_create(actor=self.actor, **payload.validated_data)
        session = self.get_queryset().get(pk=session.pk)
        return Response(LiveSessionSerializer(session).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LiveSessionWriteSerializer, responses=LiveSessionSerializer)
    def partial_update(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        session = self.get_object()
        payload = LiveSessionWriteSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        services.session_update(actor=self.actor, session=session, **payload.validated_data)
        session = self.get_queryset().get(pk=session.pk)
        return Response(LiveSessionSerializer(session).data)

    @extend_schema(request=None, responses={201: RegistrationSerializer})
    @action(detail=True, methods=["post"])
    def register(self, request, id=None):
        session = self.get_object()
        registration = services.registration_register(actor=self.actor, session=session)
        return Response(RegistrationSerializer(registration).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RegistrationSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        session = self.get_object()
        registration = selectors.my_registrations(self.actor).filter(session=session).first()
        if registration is None:
            raise ValidationError(_("You are not registered for this session."))
        registration = services.registration_cancel(actor=self.actor, registration=registration)
        return Response(RegistrationSerializer(registration).data)


class RegistrationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = RegistrationSerializer

    def scoped_queryset(self):
        actor = self.actor
        _require_reader(actor)
        qs = selectors.visible_registrations(actor)
        session = self.request.query_params.get("session")
        if session:
            try:
                qs = qs.filter(session__uuid=session)
            except ValidationError:
                qs = qs.none()
        return qs.order_by("session__starts_at", "queued_at", "id")

    @extend_schema(
        parameters=[OpenApiParameter("session", str, description="A session's id (roster).")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


def register(router) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("live-sessions", LiveSessionViewSet, basename="live-sessions")
    router.register("live-registrations", RegistrationViewSet, basename="live-registrations")
