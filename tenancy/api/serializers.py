from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import (
    ApiKey,
    AuditEvent,
    Invitation,
    Membership,
    Notification,
    member_organization_model,
)
from ..roles import Role


class PartnerOrgField(serializers.SlugRelatedField):
    """A partner organisation by UUID, looked up in the current tenant only."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uuid")
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_queryset(self):
        return member_organization_model().objects.all()


class MembershipSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    partner_organization = PartnerOrgField(read_only=True)

    class Meta:
        model = Membership
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "partner_organization",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class MembershipUpdateSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class InvitationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner_organization = PartnerOrgField()
    invited_by = serializers.EmailField(
        source="invited_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "partner_organization",
            "invited_by",
            "created_at",
            "expires_at",
        ]
        read_only_fields = ["created_at", "expires_at"]


class ApiKeySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner_organization = PartnerOrgField()
    is_active = serializers.BooleanField(read_only=True)
    scopes = serializers.ListField(
        child=serializers.CharField(max_length=40),
        required=False,
        help_text=_(
            'What the key may reach: ["*"] (the default) everything its role allows, or '
            '"<area>:read" / "<area>:write" entries, e.g. ["deals:write", "learning:read"]. '
            "Areas: account, program, onboarding, learning, deals, marketing, analytics, "
            "integrations."
        ),
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "role",
            "partner_organization",
            "scopes",
            "created_at",
            "last_used_at",
            "is_active",
        ]
        read_only_fields = ["prefix", "created_at", "last_used_at"]


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text=_("The secret. Shown once; store it now.")
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class AuditEventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "created_at",
            "actor_label",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "changes",
            "ip_address",
        ]


class MeSerializer(serializers.Serializer):
    email = serializers.EmailField(allow_null=True)
    tenant = serializers.CharField()
    role = serializers.CharField()
    partner_organization = serializers.UUIDField(allow_null=True)
    via_api_key = serializers.BooleanField()


class NotificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind_label = serializers.SerializerMethodField()
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "kind_label",
            "title",
            "body",
            "url",
            "created_at",
            "read_at",
            "is_read",
        ]
        read_only_fields = fields

    def get_kind_label(self, notification) -> str:
        from ..emails import MAIL_KINDS

        return str(MAIL_KINDS.get(notification.kind, notification.kind))


class ReadAllSerializer(serializers.Serializer):
    marked_read = serializers.IntegerField()
