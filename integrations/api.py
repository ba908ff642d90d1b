"""API: webhook endpoints, as on the console's and the portal's webhook pages. A program admin
(session or key) manages the program's endpoints (every event of the tenant); a partner admin its
organisation's own (only events about its data); every other role gets 403, and an endpoint out
of reach is 404. The signing secret is in the answer that makes it (create, `rotate-secret/`) and
in no other. Each endpoint has its delivery log, a delivery its attempts, and "send again".
Every write goes through integrations.webhooks."""

from __future__ import annotations

import json
import uuid

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_choice_field
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet
from tenancy.events import EVENT_TYPES
from tenancy.outbox import DeliveryStatus

from . import webhooks
from .forms import DeliveryFilter, event_label, event_subject
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from .relay import PING

STATES = [
    ("active", _("Active")),
    ("paused", _("Paused (by a person)")),
    ("disabled", _("Disabled (too many failures in a row)")),
]

# --- Serializers ------------------------------------------------------------------------------


class EndpointStateField(serializers.ChoiceField):
    """An endpoint's state (read-only): active, paused by a person, or disabled by the system."""

    def __init__(self, **kwargs):
        super().__init__(choices=STATES, read_only=True, **kwargs)


class EndpointStateFieldSchema(OpenApiSerializerFieldExtension):
    # NOTE: a named enum of its own: left to drf-spectacular, a second choice set for fields
    # named "state" would rename the partners' StateEnum (their lifecycle) in the document.
    target_class = EndpointStateField

    def get_name(self) -> str:
        return "WebhookEndpointStateEnum"

    def map_serializer_field(self, auto_schema, direction):
        schema = build_choice_field(self.target)
        schema.pop("x-spec-enum-id", None)
        return schema


@extend_schema_field(
    {"type": "array", "items": {"type": "string", "enum": list(EVENT_TYPES)}, "minItems": 1}
)
class EventTypesField(serializers.ListField):
    """Event types by key (tenancy.events.EVENT_TYPES). The service checks them, so an unknown
    one is refused in words, under `event_types`."""

    child = serializers.CharField(max_length=64)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    event_types = EventTypesField(read_only=True)
    partner_organization = serializers.UUIDField(
        source="partner.uuid",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The partner whose endpoint it is; null for the program's own."),
    )
    state = EndpointStateField()
    previous_secret_valid_until = serializers.DateTimeField(
        source="previous_secret_until",
        read_only=True,
        allow_null=True,
        help_text=_("After a rotation, the old secret also signs until then."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "partner_organization",
            "is_active",
            "state",
            "consecutive_failures",
            "disabled_at",
            "previous_secret_valid_until",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.SerializerMethodField(
        help_text=_("The signing secret. Shown once; store it now.")
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, endpoint) -> str:
        return self.context["secret"]


class WebhookEndpointCreateSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    event_types = EventTypesField()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class WebhookEndpointUpdateSerializer(serializers.Serializer):
    """What a PATCH may change; a field left out keeps its value."""

    url = serializers.URLField(max_length=500, required=False)
    event_types = EventTypesField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False, help_text=_("false pauses the endpoint: events are not sent to it.")
    )


class RotatedSecretSerializer(serializers.Serializer):
    secret = serializers.CharField(help_text=_("The new signing secret. Shown once."))
    previous_secret_valid_until = serializers.DateTimeField(
        help_text=_("The old secret also signs until then.")
    )


class WebhookAttemptSerializer(serializers.ModelSerializer):
    succeeded = serializers.BooleanField(read_only=True)

    class Meta:
        model = WebhookAttempt
        fields = ["at", "status_code", "latency_ms", "response_excerpt", "error", "succeeded"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    event = serializers.UUIDField(
        source="event.uuid", read_only=True, help_text=_("The event's id (its idempotency key).")
    )
    event_type = serializers.CharField(source="event.type", read_only=True)
    event_label = serializers.SerializerMethodField()
    subject = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_type",
            "event_label",
            "subject",
            "status",
            "status_label",
            "attempts",
            "created_at",
            "sent_at",
            "next_attempt_at",
            "last_error",
        ]
        read_only_fields = fields

    def get_event_label(self, delivery) -> str:
        return event_label(delivery.event.type)

    def get_subject(self, delivery) -> str:
        """What the event is about, in a word or two (the deal's customer, the partner...)."""
        return event_subject(delivery.event.payload)


class WebhookDeliveryDetailSerializer(WebhookDeliverySerializer):
    attempt_log = WebhookAttemptSerializer(
        source="log", many=True, read_only=True, help_text=_("Every HTTP attempt, oldest first.")
    )
    body = serializers.SerializerMethodField(
        help_text=_("The JSON posted (the same on every attempt).")
    )

    class Meta(WebhookDeliverySerializer.Meta):
        fields = [*WebhookDeliverySerializer.Meta.fields, "attempt_log", "body"]
        read_only_fields = fields

    def get_body(self, delivery) -> dict:
        return json.loads(webhooks.body_of(delivery))


# --- Views ------------------------------------------------------------------------------------

DELIVERY_FILTERS = [
    OpenApiParameter("status", str, enum=DeliveryStatus.values, description="Only this status."),
    OpenApiParameter("event", str, enum=[*EVENT_TYPES, PING], description="Only this event type."),
]


# Examples in the OpenAPI document: a partner admin's key adds an endpoint for its
# organisation's events (Northwind Systems) and reads its delivery log.
NORTHWIND_HOOK = "17a984b4-4110-417e-9451-9ddc933a7d6c"
ENDPOINT_CREATE_EXAMPLES = [
    OpenApiExample(
        "PartnerEndpoint",
        summary="A partner's endpoint for its deals' decisions and outcomes",
        value={
            "url": "https://hooks.northwind.example/prm",
            "event_types": ["deal.approved", "deal.won", "deal.expired"],
            "description": "Northwind CRM",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Created",
        summary="The endpoint, with its signing secret: shown this once",
        value={
            "id": NORTHWIND_HOOK,
            "url": "https://hooks.northwind.example/prm",
            "description": "Northwind CRM",
            "event_types": ["deal.approved", "deal.expired", "deal.won"],
            "partner_organization": "dc95f789-1be8-417f-ab08-a09240bccd4d",
            "is_active": True,
            "state": "active",
            "consecutive_failures": 0,
            "disabled_at": None,
            "previous_secret_valid_until": None,
            "created_at": "2026-12-07T03:10:13.029778Z",
            "secret": "whsec_CVkmM9cvrhji3aZkjGFG2M-Jx7Q4dkKsq65XTPXjdE8",
        },
        response_only=True,
        status_codes=["201"],
    ),
]
DELIVERY_LOG_EXAMPLES = [
    OpenApiExample(
        "DeliveryLog",
        summary="A delivery of a deal's approval, as the log lists it",
        value={
            "id": "5f0e2c1d-93b4-4d6a-8e27-1a9c4b7d3e60",
            "event": "c2a8e4f1-6b3d-4f9a-a1e5-8d7c6b5a4f32",
            "event_type": "deal.approved",
            "event_label": "A deal registration was approved",
            "subject": "Contoso Ltd",
            "status": "sent",
            "status_label": "Sent",
            "attempts": 1,
            "created_at": "2026-12-07T09:41:52.118304Z",
            "sent_at": "2026-12-07T09:41:52.402117Z",
            "next_attempt_at": None,
            "last_error": "",
        },
        response_only=True,
    )
]


def _uuid(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound from None


@extend_schema_view(
    list=extend_schema(
        description="The webhook endpoints the caller manages: the program's (program admin) or "
        "its organisation's (partner admin), newest first."
    ),
    retrieve=extend_schema(description="One endpoint (never its secret)."),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = WebhookEndpointSerializer
    required_perms = (Perm.API_KEYS_MANAGE,)

    def scoped_queryset(self):
        return webhooks.endpoints_for(self.actor)

    @property
    def cursor_ordering(self):
        # The delivery log pages newest first; its sequential id never leaves, so by creation
        # time with the uuid as the tie-break. Endpoints keep their model's order.
        return ("-created_at", "-uuid") if self.action == "deliveries" else None

    def get_object(self) -> WebhookEndpoint:
        # Another tenant's endpoint, the program's for a partner, another partner's: 404.
        try:
            return webhooks.get_endpoint(self.actor, _uuid(self.kwargs[self.lookup_url_kwarg]))
        except PermissionDenied:
            raise NotFound from None

    def _delivery(self, endpoint: WebhookEndpoint, delivery_uuid) -> WebhookDelivery:
        deliveries = webhooks.deliveries_for(self.actor, endpoint).prefetch_related("log")
        delivery = deliveries.filter(uuid=_uuid(delivery_uuid)).first()
        if delivery is None:
            raise NotFound
        return delivery

    @extend_schema(
        request=WebhookEndpointCreateSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        description="Add an endpoint (`url`: https, `event_types`, `description`). The answer "
        "carries its signing `secret`, shown this once.",
        examples=ENDPOINT_CREATE_EXAMPLES,
    )
    def create(self, request):
        payload = WebhookEndpointCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        endpoint, secret = webhooks.endpoint_create(actor=self.actor, **payload.validated_data)
        endpoint = webhooks.get_endpoint(self.actor, endpoint.uuid)
        data = WebhookEndpointCreatedSerializer(endpoint, context={"secret": secret}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer},
        description="Change an endpoint's `url`, `event_types`, `description` or `is_active` "
        "(false pauses it); fields left out keep their value.",
    )
    def partial_update(self, request, id=None):
        endpoint = self.get_object()
        payload = WebhookEndpointUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        current = {
            "url": endpoint.url,
            "event_types": endpoint.event_types,
            "description": endpoint.description,
            "is_active": endpoint.is_active,
        }
        endpoint = webhooks.endpoint_update(
            actor=self.actor, endpoint=endpoint, **{**current, **payload.validated_data}
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description="Delete an endpoint and its delivery log.",
    )
    def destroy(self, request, id=None):
        webhooks.endpoint_delete(actor=self.actor, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: RotatedSecretSerializer},
        description="Make a new signing secret, shown this once; the old one also signs for "
        "24 hours, so the receiver can switch without missing a delivery.",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate_secret")
    def rotate_secret(self, request, id=None):
        endpoint = self.get_object()
        secret = webhooks.endpoint_rotate_secret(actor=self.actor, endpoint=endpoint)
        endpoint = webhooks.get_endpoint(self.actor, endpoint.uuid)
        data = {"secret": secret, "previous_secret_valid_until": endpoint.previous_secret_until}
        return Response(RotatedSecretSerializer(data).data)

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointSerializer},
        description="Enable a disabled or paused endpoint again: new events reach it (missed "
        "deliveries are in its log, to send again).",
    )
    @action(detail=True, methods=["post"])
    def enable(self, request, id=None):
        endpoint = webhooks.endpoint_enable(actor=self.actor, endpoint=self.get_object())
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={202: WebhookDeliverySerializer},
        description="Send a test event (`webhook.ping`) to this endpoint alone; the answer is "
        "its delivery, queued.",
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, id=None):
        delivery = webhooks.endpoint_ping(actor=self.actor, endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=DELIVERY_FILTERS,
        responses={200: WebhookDeliverySerializer(many=True)},
        description="The endpoint's delivery log, newest first: one row per event sent to it, "
        "with its status and number of attempts.",
        examples=DELIVERY_LOG_EXAMPLES,
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, id=None):
        endpoint = self.get_object()
        filters = DeliveryFilter(
            request.query_params, queryset=webhooks.deliveries_for(self.actor, endpoint)
        )
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        page = self.paginate_queryset(filters.qs)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("delivery_uuid", uuid.UUID, OpenApiParameter.PATH)],
        responses={200: WebhookDeliveryDetailSerializer},
        description="One delivery: the event posted and every attempt (status code, latency, "
        "the receiver's answer or the error).",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"deliveries/(?P<delivery_uuid>[^/.]+)",
        url_name="delivery",
    )
    def delivery(self, request, id=None, delivery_uuid=None):
        delivery = self._delivery(self.get_object(), delivery_uuid)
        return Response(WebhookDeliveryDetailSerializer(delivery).data)

    @extend_schema(
        parameters=[OpenApiParameter("delivery_uuid", uuid.UUID, OpenApiParameter.PATH)],
        request=None,
        responses={
            202: WebhookDeliverySerializer,
            400: OpenApiResponse(description="The delivery is already waiting to go."),
        },
        description="Send a delivery again, with the same event id (a receiver that has it "
        "already ignores it).",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_uuid>[^/.]+)/send-again",
        url_name="delivery_send_again",
    )
    def send_again(self, request, id=None, delivery_uuid=None):
        delivery = self._delivery(self.get_object(), delivery_uuid)
        delivery = webhooks.delivery_replay(actor=self.actor, delivery=delivery)
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
