from django.db import transaction
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import access, notifications, selectors, services
from ..access import Perm
from ..models import Notification
from . import serializers as s


class TenantViewSet(viewsets.GenericViewSet):
    """Base for API viewsets: objects by UUID, querysets from selectors scoped to the actor."""

    lookup_field = "uuid"
    lookup_url_kwarg = "id"

    @property
    def actor(self):
        return access.get_actor(self.request)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs outside any tenant: describe the model, touch no rows.
            return self.get_serializer_class().Meta.model.objects.unscoped().none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise NotImplementedError


# --- Examples in the OpenAPI document: a key of a partner (Northwind Systems) ---------------

NORTHWIND = "dc95f789-1be8-417f-ab08-a09240bccd4d"
SCOPES = ["deals:write", "learning:read", "program:read"]
ME_EXAMPLES = [
    OpenApiExample(
        "PartnerKey",
        summary="A partner's key (a key is not a person: no email)",
        value={
            "email": None,
            "tenant": "acme",
            "role": "partner_sales",
            "partner_organization": NORTHWIND,
            "via_api_key": True,
        },
    )
]
API_KEY_EXAMPLES = [
    OpenApiExample(
        "PartnerIntegrationKey",
        summary="A key for a partner's CRM integration, limited to what it needs",
        value={
            "name": "Northwind CRM sync",
            "role": "partner_sales",
            "partner_organization": NORTHWIND,
            "scopes": SCOPES,
        },
        request_only=True,
    ),
    OpenApiExample(
        "Created",
        summary="The key: shown this once",
        value={
            "id": "ccd76e46-62bf-469b-8461-2754eeb6be93",
            "name": "Northwind CRM sync",
            "prefix": "9e79931d",
            "role": "partner_sales",
            "partner_organization": NORTHWIND,
            "scopes": ["program:read", "deals:write", "learning:read"],
            "created_at": "2026-12-07T03:10:11.318096Z",
            "last_used_at": None,
            "is_active": True,
            "key": "prm_9e79931d_PcbKHDl_KvP4-wCjqtA58xQa2BqlmZ5nBpRFlAlc9vY",
        },
        response_only=True,
        status_codes=["201"],
    ),
]


class MeView(APIView):
    api_scope_free = True  # "who am I" answers any key, whatever its scopes

    @extend_schema(responses=s.MeSerializer, examples=ME_EXAMPLES)
    def get(self, request):
        actor = access.get_actor(request)
        membership = actor.membership
        org = (
            actor.api_key.partner_organization
            if actor.api_key
            else (membership.partner_organization if membership else None)
        )
        data = {
            "email": actor.user.email if actor.user else None,
            "tenant": actor.tenant.slug,
            "role": actor.role,
            "partner_organization": org.uuid if org else None,
            "via_api_key": actor.api_key is not None,
        }
        return Response(s.MeSerializer(data).data)


class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The people the caller may see on the pages: everyone for readers of the console team
    page, a partner's people for those who may see that partner (and a partner user their own
    organisation's). Roles that see no one (direct sales) get 403, as on the team page."""

    serializer_class = s.MembershipSerializer
    filterset_fields = ["role", "is_active"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        actor = self.actor
        if not (actor.has(Perm.STAFF_VIEW) or actor.has(Perm.PARTNERS_VIEW)):
            access.require(actor, Perm.STAFF_VIEW)  # the refusal, with its message

    def scoped_queryset(self):
        return selectors.team_members(self.actor)

    @extend_schema(request=s.MembershipUpdateSerializer, responses=s.MembershipSerializer)
    @transaction.atomic  # role and active flag change together or not at all
    def partial_update(self, request, id=None):
        membership = self.get_object()
        payload = s.MembershipUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if "role" in data:
            membership = services.membership_change_role(
                actor=self.actor, membership=membership, role=data["role"]
            )
        if "is_active" in data:
            membership = services.membership_set_active(
                actor=self.actor, membership=membership, active=data["is_active"]
            )
        return Response(s.MembershipSerializer(membership).data)


class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Pending invitations, as on the team pages: the console's (staff.view) or a partner
    admin's own organisation's (the portal's)."""

    serializer_class = s.InvitationSerializer

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        actor = self.actor
        if not (actor.has(Perm.STAFF_VIEW) or actor.has(Perm.PARTNER_TEAM_MANAGE)):
            access.require(actor, Perm.STAFF_VIEW)

    def scoped_queryset(self):
        return selectors.pending_invitations(self.actor)

    def create(self, request):
        payload = s.InvitationSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        invitation = services.invitation_create(actor=self.actor, **payload.validated_data)
        return Response(s.InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def revoke(self, request, id=None):
        services.invitation_revoke(actor=self.actor, invitation=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.ApiKeySerializer
    required_perms = (Perm.API_KEYS_MANAGE,)

    def scoped_queryset(self):
        return selectors.api_keys(self.actor)

    @extend_schema(
        request=s.ApiKeySerializer,
        responses={201: s.ApiKeyCreatedSerializer},
        examples=API_KEY_EXAMPLES,
    )
    def create(self, request):
        payload = s.ApiKeySerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        key, plaintext = services.api_key_create(actor=self.actor, **payload.validated_data)
        key.key = plaintext
        return Response(s.ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def revoke(self, request, id=None):
        services.api_key_revoke(actor=self.actor, key=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.AuditEventSerializer
    required_perms = (Perm.AUDIT_VIEW,)
    filterset_fields = ["action", "target_type", "target_id"]

    def scoped_queryset(self):
        return selectors.audit_events(self.actor)


class NotificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """The person's own notifications (the bell), newest first: the signed-in user's, or the
    creator's for an API key (a key acts for whoever made it). `?unread=true` for unread ones."""

    serializer_class = s.NotificationSerializer

    def scoped_queryset(self):
        person = self.actor.responsible_user
        if person is None:
            return Notification.objects.none()
        queryset = notifications.notifications_for(person)
        if self.request.query_params.get("unread") in ("true", "1"):
            queryset = queryset.filter(read_at__isnull=True)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "unread", bool, description="Only the unread ones (`true`).", required=False
            )
        ]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=None, responses=s.NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request, id=None):
        notification = notifications.notification_mark_read(
            user=self.actor.responsible_user, notification=self.get_object()
        )
        return Response(s.NotificationSerializer(notification).data)

    @extend_schema(request=None, responses=s.ReadAllSerializer)
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request):
        request.data  # noqa: B018  (a body, if any, is parsed: one with a NUL is refused)
        count = notifications.notifications_mark_all_read(user=self.actor.responsible_user)
        return Response({"marked_read": count})
