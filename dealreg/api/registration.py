"""API: deal registrations. List/retrieve scoped (partner users and keys: their organisation;
vendor staff: the partners in their scope); POST registers a deal for the caller's organisation
(403 `benefit_locked` with the missing onboarding steps while the benefit is locked)."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from onboarding.models import Benefit
from onboarding.services.progress import require_benefit
from tenancy import access
from tenancy.access import Perm
from tenancy.api.pagination import KeysetPagination
from tenancy.api.views import TenantViewSet

from ..models import DealRegistration
from ..selectors.queue import DEAL_RELATED, visible_deals
from ..services import registration as services
from ..services.conflicts import conflict_kinds
from .decisions import DecisionActions


class DealRegistrationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    submitted_by = serializers.EmailField(
        source="submitted_by.email", read_only=True, allow_null=True, default=None
    )
    customer_country = serializers.CharField(read_only=True)
    region = serializers.CharField(read_only=True, help_text="NA, LATAM, EMEA or APAC.")
    # Declared for the schema only: a registration without a contact answers "" (the model
    # field is blank=True), which a read-only model field would not document.
    contact_email = serializers.EmailField(read_only=True, allow_blank=True)

    class Meta:
        model = DealRegistration
        fields = [
            "id",
            "partner",
            "partner_name",
            "customer_name",
            "customer_domain",
            "customer_country",
            "region",
            "contact_name",
            "contact_email",
            "products",
            "estimated_value",
            "currency",
            "expected_close_date",
            "partner_notes",
            "status",
            "created_at",
            "submitted_at",
            "submitted_by",
            "account",
            "approver",
            "sla_due_at",
            "sla_state",
            "decided_at",
            "decision_reason",
            "auto_approved",
            "approved_at",
            "expires_at",
        ]
        read_only_fields = fields

    account = serializers.UUIDField(source="account.uuid", read_only=True, default=None)
    approver = serializers.EmailField(
        source="assigned_to.email", read_only=True, allow_null=True, default=None
    )
    sla_state = serializers.SerializerMethodField()

    def get_sla_state(self, deal) -> str:
        from ..services.sla import sla_state

        return str(sla_state(deal, rules=self.context.get("rules")))


class VendorDealRegistrationSerializer(DealRegistrationSerializer):
    """Vendor staff see the conflicts in full (other partners, direct owners)."""

    class Meta(DealRegistrationSerializer.Meta):
        fields = [*DealRegistrationSerializer.Meta.fields, "conflicts", "conflicts_checked_at"]
        read_only_fields = fields


class PartnerDealRegistrationSerializer(DealRegistrationSerializer):
    """Partners learn only that a possible conflict exists and of what kind — never who."""

    possible_conflict = serializers.SerializerMethodField()
    conflict_kinds = serializers.SerializerMethodField()

    class Meta(DealRegistrationSerializer.Meta):
        fields = [*DealRegistrationSerializer.Meta.fields, "possible_conflict", "conflict_kinds"]
        read_only_fields = fields

    def get_possible_conflict(self, deal) -> bool:
        return bool(deal.conflicts)

    def get_conflict_kinds(self, deal) -> list[str]:
        return conflict_kinds(deal)


class DealRegistrationCreateSerializer(serializers.Serializer):
    """Shapes only; the service validates (field errors come back as 400)."""

    customer_name = serializers.CharField(max_length=200, allow_blank=True)
    customer_domain = serializers.CharField(max_length=253, required=False, allow_blank=True)
    customer_country = serializers.CharField(max_length=2, required=False, allow_blank=True)
    region = serializers.CharField(max_length=8, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    products = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, max_length=50
    )
    # Any number: the service states the limits in business terms (below a trillion, cents).
    estimated_value = serializers.DecimalField(max_digits=None, decimal_places=None)
    currency = serializers.CharField(max_length=8, required=False)
    expected_close_date = serializers.DateField()
    partner_notes = serializers.CharField(required=False, allow_blank=True)


# A registration reads differently by who asks: the vendor's staff see the approver, conflicts
# and notes; the partner sees its own view. The schema says so (one of the two).
_FOR_ROLE = PolymorphicProxySerializer(
    component_name="DealRegistrationForRole",
    serializers=[VendorDealRegistrationSerializer, PartnerDealRegistrationSerializer],
    resource_type_field_name=None,
)


# --- Examples in the OpenAPI document: a partner (Northwind Systems) registers Contoso Ltd ---

# The error answers' schema (added to every operation by tenancy.api.schema.document_errors).
ERROR = {"$ref": "#/components/schemas/Error"}
NEW_CONTOSO = {
    "customer_name": "Contoso Ltd",
    "customer_domain": "contoso.com",
    "customer_country": "US",
    "region": "NA",
    "contact_name": "Megan Bowen",
    "contact_email": "megan.bowen@contoso.com",
    "products": ["Cloud Platform", "Premium Support"],
    "estimated_value": "48000.00",
    "currency": "USD",
    "expected_close_date": "2027-02-05",
    "partner_notes": "Replacing their on-premises cluster; budget approved for Q1.",
}
CONTOSO = {
    "id": "7a622e91-f846-44c4-9e04-226617db83d0",
    "partner": "dc95f789-1be8-417f-ab08-a09240bccd4d",
    "partner_name": "Northwind Systems",
    **NEW_CONTOSO,
    "status": "submitted",
    "created_at": "2026-12-07T03:10:11.562252Z",
    "submitted_at": "2026-12-07T03:10:11.562252Z",
    "submitted_by": None,
    "account": "db910c4f-61f2-4b9f-8395-835dae006345",
    "approver": "jordan.lee@acme.example",
    "sla_due_at": "2026-12-14T17:00:00Z",
    "sla_state": "on_time",
    "decided_at": None,
    "decision_reason": "",
    "auto_approved": False,
    "approved_at": None,
    "expires_at": None,
}
APPROVED = {
    "status": "approved",
    "sla_state": "decided_on_time",
    "decided_at": "2026-12-07T03:10:11.646378Z",
    "decision_reason": "Approved.",
    "approved_at": "2026-12-07T03:10:11.646378Z",
    "expires_at": "2027-03-07T03:10:11.646378Z",
}
# What a partner reads besides: whether a conflict exists, of what kind (never with whom).
PARTNER_VIEW = {"possible_conflict": False, "conflict_kinds": []}
FABRIKAM_APPROVED = {
    **CONTOSO,
    **APPROVED,
    **PARTNER_VIEW,
    "id": "d74e7784-5aef-4d84-beab-80482c2d619f",
    "customer_name": "Fabrikam Inc",
    "customer_domain": "fabrikam.com",
    "contact_name": "Alex Wilber",
    "contact_email": "alex.wilber@fabrikam.com",
    "estimated_value": "125000.00",
    "created_at": "2026-12-07T03:10:11.625303Z",
    "submitted_at": "2026-12-07T03:10:11.625303Z",
    "account": "df0b84f0-87be-4af9-909e-5cfc4bd0ac86",
    "decided_at": "2026-12-07T03:10:11.653753Z",
    "approved_at": "2026-12-07T03:10:11.653753Z",
    "expires_at": "2027-03-07T03:10:11.653753Z",
}
EXAMPLES_LIST = [
    OpenApiExample(
        "ApprovedPage",
        summary="A partner's approved registrations, a page at a time (?status=approved"
        "&page_size=1)",
        value=FABRIKAM_APPROVED,
        response_only=True,
    )
]
EXAMPLES_RETRIEVE = [
    OpenApiExample(
        "Approved",
        summary="An approved registration, as its partner reads it",
        value={**CONTOSO, **APPROVED, **PARTNER_VIEW},
        response_only=True,
    )
]
EXAMPLES_CREATE = [
    OpenApiExample(
        "NewRegistration",
        summary="Northwind Systems registers Contoso Ltd",
        value=NEW_CONTOSO,
        request_only=True,
    ),
    OpenApiExample(
        "Submitted",
        summary="Registered, waiting for the vendor's decision",
        value={**CONTOSO, **PARTNER_VIEW},
        response_only=True,
        status_codes=["201"],
    ),
]
BENEFIT_LOCKED = OpenApiExample(
    "BenefitLocked",
    summary="Onboarding is not finished: what is missing, and where to do it",
    value={
        "detail": "Deal registration is locked until you finish onboarding: Complete the 101 "
        "course.",
        "code": "benefit_locked",
        "benefit": "deal_registration",
        "missing": [
            {
                "step": "training_101",
                "label": "101 course completed",
                "how": "Complete the 101 course.",
                "url": "/portal/learning/",
            }
        ],
    },
)
SCOPE_REFUSED = OpenApiExample(
    "ScopeRefused",
    summary="The API key's scopes do not include deals:write",
    value={"detail": "This API key may not do this: it lacks the scope deals:write."},
)
FIELD_ERRORS = OpenApiExample(
    "FieldErrors",
    summary="Each invalid field with its messages",
    value={
        "customer_name": ["Name the customer account."],
        "estimated_value": ["The estimated value must be more than zero."],
        "expected_close_date": ["The expected close date cannot be in the past."],
    },
)


@extend_schema_view(
    list=extend_schema(
        responses=PolymorphicProxySerializer(
            component_name="DealRegistrationForRole",
            serializers=[VendorDealRegistrationSerializer, PartnerDealRegistrationSerializer],
            resource_type_field_name=None,
            many=True,
        ),
        examples=EXAMPLES_LIST,
    ),
    retrieve=extend_schema(responses=_FOR_ROLE, examples=EXAMPLES_RETRIEVE),
)
class DealRegistrationViewSet(
    DecisionActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    serializer_class = DealRegistrationSerializer
    required_perms = (Perm.DEALS_VIEW,)
    filterset_fields = ["status"]
    # A million rows: next/previous cursors in (created_at, uuid) order, no count, no offset.
    pagination_class = KeysetPagination

    def scoped_queryset(self):
        return visible_deals(self.actor)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return VendorDealRegistrationSerializer
        if self.actor.is_partner:
            return PartnerDealRegistrationSerializer
        return VendorDealRegistrationSerializer

    def get_serializer_context(self):
        from ..services.rules import deal_rules

        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context["rules"] = deal_rules()
        return context

    @extend_schema(
        request=DealRegistrationCreateSerializer,
        responses={
            201: _FOR_ROLE,
            400: OpenApiResponse(
                ERROR,
                description="The input is not valid: each field's messages, or `detail`.",
                examples=[FIELD_ERRORS],
            ),
            403: OpenApiResponse(
                ERROR,
                description="Not allowed, or `code: benefit_locked` with the `missing` "
                "onboarding steps (each with `step`, `label`, `how`, `url`).",
                examples=[BENEFIT_LOCKED, SCOPE_REFUSED],
            ),
        },
        examples=EXAMPLES_CREATE,
    )
    def create(self, request):
        access.require(self.actor, Perm.DEALS_REGISTER)
        payload = DealRegistrationCreateSerializer(data=request.data)
        if not payload.is_valid():
            # The gate answers before field errors: a locked partner learns what to do first.
            # (On valid input the service checks it, once.)
            require_benefit(self.actor, Benefit.DEAL_REGISTRATION)
            raise ValidationError(payload.errors)
        deal = services.deal_register(actor=self.actor, **payload.validated_data)
        # The actor's own new registration: read back as stored, without the visibility query.
        deal = DealRegistration.objects.select_related(*DEAL_RELATED).get(pk=deal.pk)
        return Response(self.get_serializer(deal).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    router.register("deal-registrations", DealRegistrationViewSet, basename="deal-registration")
