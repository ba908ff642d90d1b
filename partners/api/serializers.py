"""Serializers of the partner-organisation API. Output describes rows; input serializers only
validate shapes — the services decide and write."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..forms import limits
from ..models import (
    Application,
    ContactRole,
    EmployeeBand,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerType,
    Region,
    RevenueBand,
    SalesMotion,
)
from ..services.applications import MERGEABLE_FIELDS
from ..services.organization import CHANNEL_MANAGER_REFUSED


def plain_choice(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField documented as a string listing its values, without an enum component.

    NOTE: drf-spectacular names enum components after field names; the same choice set under two
    names (state / to_state), or two sets under one name (a contact's role / a membership's role),
    makes `check --deploy` warn. One enum per set is kept; the other occurrences use this.
    """
    values = ", ".join(str(value) for value, _label in choices)
    field_class = extend_schema_field({"type": "string", "description": f"One of: {values}."})(
        type("PlainChoiceField", (serializers.ChoiceField,), {})
    )
    return field_class(choices=choices, **kwargs)


class TierRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    name = serializers.CharField(read_only=True)
    rank = serializers.IntegerField(read_only=True)


def _optional_choice(name: str) -> serializers.ChoiceField:
    """A read-only choice of the profile that may be blank ("")."""
    choices = PartnerOrganization._meta.get_field(name).choices
    return serializers.ChoiceField(choices=choices, read_only=True, allow_blank=True)


class PartnerOrganizationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    channel_manager = serializers.EmailField(
        source="channel_manager.email", read_only=True, allow_null=True, default=None
    )
    hq_country = serializers.CharField(source="hq_country.code", read_only=True, default="")
    tier = TierRefSerializer(read_only=True, allow_null=True)
    # Optional on the profile: "" when not given (the schema says so).
    website = serializers.CharField(read_only=True)
    logo_url = serializers.CharField(read_only=True)
    employee_band = _optional_choice("employee_band")
    revenue_band = _optional_choice("revenue_band")
    sales_motion = _optional_choice("sales_motion")

    class Meta:
        model = PartnerOrganization
        fields = [
            "id",
            "name",
            "legal_name",
            "website",
            "domain",
            "logo_url",
            "description",
            "hq_country",
            "regions",
            "industries",
            "employee_band",
            "revenue_band",
            "partner_type",
            "partner_types",
            "skills",
            "sales_motion",
            "co_marketing",
            "planned_certified_staff",
            "state",
            "state_changed_at",
            "source",
            "channel_manager",
            "tier",
            "ipp_score",
            "ipp_scored_at",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


def _choice_list(choices):
    return serializers.ListField(
        child=serializers.ChoiceField(choices=choices), required=False, max_length=len(choices)
    )


def _text_list():
    return serializers.ListField(
        child=serializers.CharField(max_length=80), required=False, max_length=50
    )


class PartnerProfileUpdateSerializer(serializers.Serializer):
    """PATCH: any subset of the profile. `channel_manager` (an email, or null) is for program
    admins only."""

    name = serializers.CharField(max_length=200, required=False)
    legal_name = serializers.CharField(max_length=250, required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)
    logo_url = serializers.URLField(required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    hq_country = serializers.ChoiceField(choices=list(countries), required=False, allow_blank=True)
    regions = _choice_list(Region.choices)
    industries = _text_list()
    employee_band = serializers.ChoiceField(
        choices=EmployeeBand.choices, required=False, allow_blank=True
    )
    revenue_band = serializers.ChoiceField(
        choices=RevenueBand.choices, required=False, allow_blank=True
    )
    partner_type = serializers.ChoiceField(choices=PartnerType.choices, required=False)
    partner_types = serializers.ListField(
        child=plain_choice(PartnerType.choices), required=False, max_length=len(PartnerType)
    )
    skills = _text_list()
    sales_motion = serializers.ChoiceField(
        choices=SalesMotion.choices, required=False, allow_blank=True
    )
    co_marketing = serializers.BooleanField(required=False)
    planned_certified_staff = serializers.IntegerField(
        required=False, **limits.api_limit(0, limits.PEOPLE_MAX, limits.PEOPLE_MESSAGE)
    )
    channel_manager = serializers.EmailField(required=False, allow_null=True)

    def validate_channel_manager(self, value):
        if value is None:
            return None
        user = get_user_model().objects.filter(email__iexact=value).first()
        if user is None:  # the same words as a user who is not a manager here
            raise serializers.ValidationError(CHANNEL_MANAGER_REFUSED)
        return user


class TransitionSerializer(serializers.Serializer):
    to_state = plain_choice(LifecycleState.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class LifecycleEventSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    by = serializers.CharField(source="by_label", read_only=True)
    from_state = plain_choice(LifecycleState.choices, read_only=True, allow_blank=True)
    to_state = plain_choice(LifecycleState.choices, read_only=True)

    class Meta:
        model = LifecycleEvent
        fields = ["id", "from_state", "to_state", "reason", "by", "created_at"]
        read_only_fields = fields


class PartnerContactSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    role = plain_choice(ContactRole.choices, required=False)

    class Meta:
        model = PartnerContact
        fields = ["id", "partner", "name", "email", "phone", "title", "role", "created_at"]
        read_only_fields = ["created_at"]


class PartnerContactCreateSerializer(serializers.Serializer):
    partner = serializers.UUIDField(help_text=_("The partner organisation's id."))
    name = serializers.CharField(max_length=200)
    email = serializers.EmailField()
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    role = plain_choice(ContactRole.choices, required=False, default=ContactRole.PRIMARY)


SORT_CHOICES = ["name", "-name", "score", "-score", "state", "-state", "created", "-created"]


class PartnerDirectoryQuerySerializer(serializers.Serializer):
    """Query parameters of the partner list (the console directory's filters)."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")
    state = serializers.ChoiceField(
        choices=LifecycleState.choices, required=False, allow_blank=True, default=""
    )
    tier = serializers.UUIDField(required=False, allow_null=True, default=None)
    partner_type = serializers.ChoiceField(
        choices=PartnerType.choices, required=False, allow_blank=True, default=""
    )
    region = serializers.ChoiceField(
        choices=Region.choices, required=False, allow_blank=True, default=""
    )
    manager = serializers.EmailField(
        required=False, allow_blank=True, default="", help_text=_("Channel manager's email.")
    )
    min_score = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        **limits.api_limit(0, 100, limits.SCORE_MESSAGE),
    )
    sort = serializers.ChoiceField(choices=SORT_CHOICES, required=False, default="name")


class ApplicationSerializer(serializers.ModelSerializer):
    """An application: what was submitted, the partner it created or matched, the decision."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    hq_country = serializers.CharField(source="hq_country.code", read_only=True, default="")
    decided_by = serializers.EmailField(source="decided_by.email", read_only=True, default=None)
    channel_manager = serializers.EmailField(
        source="partner.channel_manager.email", read_only=True, default=None
    )

    class Meta:
        model = Application
        fields = [
            "id",
            "partner",
            "partner_name",
            "channel_manager",
            "assigned_via",
            "assigned_at",
            "held_for_review",
            "company_name",
            "website",
            "domain",
            "hq_country",
            "regions",
            "employee_band",
            "partner_types",
            "skills",
            "contact_name",
            "contact_email",
            "contact_title",
            "message",
            "submitted_at",
            "decision",
            "decision_reason",
            "decided_at",
            "decided_by",
        ]
        read_only_fields = fields


class ApplicationMergeSerializer(serializers.Serializer):
    fields_to_take = serializers.ListField(
        child=plain_choice([(f, f) for f in MERGEABLE_FIELDS]),
        required=False,
        default=list,
        help_text=_("The submitted values to take into the partner."),
    )
    contact_role = plain_choice(
        ContactRole.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Add the applicant as a contact with this role (blank: do not)."),
    )


class ApplicationCreateProspectSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    website = serializers.URLField(required=False, allow_blank=True, default="")


class ApplicationRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
