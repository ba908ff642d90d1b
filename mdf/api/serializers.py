"""Serializers of the MDF API. Output describes rows: money as strings (two decimals) beside its
currency, every coded value (status, type, method...) as its code plus `<name>_label`, the words
the pages show. Input serializers validate shapes only — the services decide and write.

NOTE: choices go out through `plain_choice` (documented values, no enum component): "status",
"kind", "period" and "method" name other choice sets elsewhere in the API, and two sets under one
enum name make the schema (and `check --deploy`) warn."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from partners.api.serializers import plain_choice
from partners.models import PartnerOrganization
from partners.selectors import organization as partner_selectors
from tenancy import access

from ..models import (
    ActivityType,
    Allocation,
    AllocationBasis,
    CarryOver,
    Claim,
    ClaimFile,
    ClaimFileKind,
    ClaimStatus,
    Fund,
    FundPeriod,
    FundRequest,
    Payout,
    PayoutMethod,
    RequestEvent,
    RequestStatus,
)
from ..services.requests import Decision

# Storage limits of the columns (PostgreSQL integer, smallint): larger numbers are 400, not 500.
MAX_INT = 2_147_483_647
MAX_TEXT = 10_000
LAST_DAY = date(3000, 1, 1)


def any_amount(**kwargs) -> serializers.DecimalField:
    """Any number, as a string or a number: the services state the limits in business terms
    (above zero, below a trillion, to the cent)."""
    return serializers.DecimalField(max_digits=None, decimal_places=None, **kwargs)


def label(source: str) -> serializers.CharField:
    return serializers.CharField(source=f"get_{source}_display", read_only=True)


@extend_schema_field(OpenApiTypes.UUID)
class VisiblePartnerField(serializers.SlugRelatedField):
    """A partner organisation by UUID among those the requesting actor may see."""

    def __init__(self, **kwargs):
        kwargs.setdefault("slug_field", "uuid")
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        if request is None:
            return PartnerOrganization.objects.none()
        return partner_selectors.partner_organizations_for(access.get_actor(request))


# --- Funds and allocations ------------------------------------------------------------------


class FundSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    period = plain_choice(FundPeriod.choices, read_only=True)
    period_label = label("period")
    carry_over = plain_choice(CarryOver.choices, read_only=True)
    carry_over_label = label("carry_over")
    allocated_total = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="Given to partners."
    )
    held_total = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="Held by requests in review."
    )
    committed_total = serializers.DecimalField(
        max_digits=16, decimal_places=2, read_only=True, help_text="Approved, not yet paid."
    )
    paid_total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    partner_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Fund
        fields = [
            "id",
            "name",
            "period",
            "period_label",
            "starts_on",
            "ends_on",
            "currency",
            "budget",
            "unallocated",
            "allocation_cap",
            "carry_over",
            "carry_over_label",
            "carry_over_pct",
            "claim_days",
            "marketing_threshold",
            "allocated_total",
            "held_total",
            "committed_total",
            "paid_total",
            "partner_count",
            "created_at",
        ]
        read_only_fields = fields


class FundWriteSerializer(serializers.Serializer):
    """Creating a fund takes every field but the caps; a change (PATCH) any of them but the
    period. The fund's currency is the program's."""

    name = serializers.CharField(max_length=120, allow_blank=True)
    period = plain_choice(FundPeriod.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    budget = any_amount()
    carry_over = plain_choice(CarryOver.choices, required=False, default=CarryOver.NONE)
    carry_over_pct = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        default=0,
        help_text="With `carry_over` = share: the share of unspent funds carried over, 1 to 100.",
    )
    allocation_cap = any_amount(
        required=False,
        allow_null=True,
        default=None,
        help_text="Most the tier rules give one partner; null: no cap.",
    )
    claim_days = serializers.IntegerField(min_value=0, max_value=365, required=False, default=30)
    marketing_threshold = any_amount(
        required=False,
        allow_null=True,
        default=None,
        help_text="Requests above this also need marketing's approval; null: never.",
    )


class FundUpdateSerializer(FundWriteSerializer):
    """Only the fields sent change (no defaults); the period is fixed once the fund exists."""

    period = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, partial=True, **kwargs)
        for field in self.fields.values():
            field.required, field.default = False, serializers.empty


class AllocationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    fund = serializers.UUIDField(source="fund.uuid", read_only=True)
    fund_name = serializers.CharField(source="fund.name", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    currency = serializers.CharField(source="fund.currency", read_only=True)
    basis = plain_choice(AllocationBasis.choices, read_only=True)
    basis_label = label("basis")

    class Meta:
        model = Allocation
        fields = [
            "id",
            "fund",
            "fund_name",
            "partner",
            "partner_name",
            "basis",
            "basis_label",
            "basis_note",
            "currency",
            "allocated",
            "held",
            "committed",
            "paid",
            "carried_out",
            "available",
            "updated_at",
        ]
        read_only_fields = fields


class AllocationSetSerializer(serializers.Serializer):
    partner = VisiblePartnerField()
    amount = any_amount(help_text="The partner's allocation from this fund (0 or more).")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class AllocationRunSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    changed = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    skipped_manual = serializers.IntegerField(help_text="Allocations set by hand, kept.")
    total = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Taken from the budget by this run."
    )
    currency = serializers.CharField(source="fund.currency")
    fund = FundSerializer(help_text="The fund after the run.")


class MdfBalanceTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    allocated = serializers.DecimalField(max_digits=16, decimal_places=2)
    held = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Requested, awaiting a decision."
    )
    committed = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text="Approved, not yet paid."
    )
    paid = serializers.DecimalField(max_digits=16, decimal_places=2)
    available = serializers.DecimalField(max_digits=16, decimal_places=2)


class MdfBalanceSerializer(serializers.Serializer):
    partner = serializers.UUIDField()
    totals = MdfBalanceTotalsSerializer(many=True, help_text="One row per currency.")
    allocations = AllocationSerializer(many=True)


# --- Requests --------------------------------------------------------------------------------


class FundRequestSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    fund = serializers.UUIDField(source="allocation.fund.uuid", read_only=True)
    fund_name = serializers.CharField(source="allocation.fund.name", read_only=True)
    allocation = serializers.UUIDField(source="allocation.uuid", read_only=True)
    activity_type = plain_choice(ActivityType.choices, read_only=True)
    activity_type_label = label("activity_type")
    status = plain_choice(RequestStatus.choices, read_only=True)
    status_label = label("status")
    claim = serializers.UUIDField(
        source="claim.uuid", read_only=True, default=None, allow_null=True
    )
    claim_status = plain_choice(
        ClaimStatus.choices, source="claim.status", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = FundRequest
        fields = [
            "id",
            "partner",
            "partner_name",
            "fund",
            "fund_name",
            "allocation",
            "title",
            "activity_type",
            "activity_type_label",
            "starts_on",
            "ends_on",
            "amount",
            "approved_amount",
            "currency",
            "expected_leads",
            "expected_pipeline",
            "description",
            "status",
            "status_label",
            "claim_deadline",
            "claim",
            "claim_status",
            "submitted_at",
            "updated_at",
            "decided_at",
        ]
        read_only_fields = fields


class RequestEventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField(source="label", read_only=True)
    by = serializers.CharField(source="by_label", read_only=True)

    class Meta:
        model = RequestEvent
        fields = ["action", "action_label", "comment", "by", "at"]
        read_only_fields = fields


class FundRequestDetailSerializer(FundRequestSerializer):
    submitted_by = serializers.EmailField(
        source="submitted_by.email", read_only=True, allow_null=True, default=None
    )
    events = RequestEventSerializer(many=True, read_only=True, help_text="The timeline.")

    class Meta(FundRequestSerializer.Meta):
        fields = [*FundRequestSerializer.Meta.fields, "submitted_by", "events"]
        read_only_fields = fields


class FundRequestWriteSerializer(serializers.Serializer):
    """Shapes only: the service checks the values, all at once (field errors come back as 400)."""

    title = serializers.CharField(max_length=200, allow_blank=True)
    activity_type = serializers.CharField(
        max_length=20, help_text=f"One of: {', '.join(ActivityType.values)}."
    )
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    amount = any_amount()
    expected_leads = serializers.IntegerField(
        min_value=0, max_value=MAX_INT, required=False, default=0
    )
    expected_pipeline = any_amount(required=False, default=0)
    description = serializers.CharField(max_length=MAX_TEXT, allow_blank=True)

    def validate_ends_on(self, value):
        # NOTE: the claim deadline is the end plus the fund's claim days: near the calendar's end
        # that date cannot exist (an OverflowError at approval), so such ends are refused here.
        if value >= LAST_DAY:
            raise serializers.ValidationError(_("Enter a date before %(day)s.") % {"day": LAST_DAY})
        return value


class FundRequestCreateSerializer(FundRequestWriteSerializer):
    allocation = serializers.UUIDField(
        help_text="The caller's organisation's allocation to draw on (see `GET /mdf-balance/`)."
    )


class FundRequestResubmitSerializer(FundRequestWriteSerializer):
    comment = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, default="", help_text="What changed."
    )


class MdfDecisionSerializer(serializers.Serializer):
    decision = plain_choice([(d, d) for d in Decision.ALL])
    comment = serializers.CharField(
        max_length=MAX_TEXT,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to reject, ask for changes or approve less than asked.",
    )
    amount = any_amount(
        required=False,
        allow_null=True,
        default=None,
        help_text="Approve: the amount approved (default: all of it).",
    )


class MdfCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, default=""
    )


# --- Claims and payouts ----------------------------------------------------------------------


class ClaimFileSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    kind = plain_choice(ClaimFileKind.choices, read_only=True)
    kind_label = label("kind")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ClaimFile
        fields = [
            "id",
            "kind",
            "kind_label",
            "original_name",
            "content_type",
            "size",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = fields

    def get_download_url(self, proof: ClaimFile) -> str:
        return reverse("mdf_proof_download", kwargs={"file_uuid": proof.uuid})


class ClaimSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    request = serializers.UUIDField(source="request.uuid", read_only=True)
    request_title = serializers.CharField(source="request.title", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    status = plain_choice(ClaimStatus.choices, read_only=True)
    status_label = label("status")
    currency = serializers.CharField(source="request.currency", read_only=True)
    approved_request_amount = serializers.DecimalField(
        source="request.approved_amount",
        max_digits=14,
        decimal_places=2,
        read_only=True,
        help_text="What the request was approved for: the most a claim may be.",
    )
    submitted_by = serializers.EmailField(
        source="submitted_by.email", read_only=True, allow_null=True, default=None
    )
    files = ClaimFileSerializer(many=True, read_only=True)
    payout = serializers.UUIDField(source="payout.uuid", read_only=True, default=None)

    class Meta:
        model = Claim
        fields = [
            "id",
            "request",
            "request_title",
            "partner",
            "partner_name",
            "status",
            "status_label",
            "spent",
            "spent_currency",
            "amount",
            "approved_amount",
            "currency",
            "approved_request_amount",
            "leads",
            "pipeline",
            "notes",
            "is_late",
            "submitted_by",
            "submitted_at",
            "decided_at",
            "files",
            "payout",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "spent": {"help_text": "What the partner spent, in `spent_currency`."},
            "amount": {"help_text": "The claim in the fund's currency (`currency`)."},
        }


class ClaimCreateSerializer(serializers.Serializer):
    request = serializers.UUIDField(help_text="The approved request claimed.")
    spent = any_amount(help_text="What was spent, at most the approved amount.")
    spent_currency = serializers.CharField(
        max_length=8, required=False, allow_blank=True, help_text="Default: the fund's currency."
    )
    leads = serializers.IntegerField(min_value=0, max_value=MAX_INT, required=False, default=0)
    pipeline = any_amount(required=False, default=0)
    notes = serializers.CharField(max_length=MAX_TEXT, required=False, allow_blank=True)
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text="Proof of performance: PDF, PNG, JPEG, Word, Excel or CSV, up to 20 MB each "
        "(at least one for a new claim).",
    )
    kinds = serializers.ListField(
        child=plain_choice(ClaimFileKind.choices),
        required=False,
        default=list,
        help_text="What each file shows, in the order of `files` (default: other).",
    )

    def validate(self, data):
        kinds, files = data.get("kinds") or [], data.get("files") or []
        if kinds and len(kinds) != len(files):
            raise serializers.ValidationError(
                {"kinds": [_("Give one kind per file, in the order of the files.")]}
            )
        data["files"] = [
            (kinds[i] if kinds else ClaimFileKind.OTHER, upload) for i, upload in enumerate(files)
        ]
        data.pop("kinds", None)
        return data


class PayoutSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    claim = serializers.UUIDField(source="claim.uuid", read_only=True)
    request = serializers.UUIDField(source="claim.request.uuid", read_only=True)
    request_title = serializers.CharField(source="claim.request.title", read_only=True)
    fund_name = serializers.CharField(source="claim.request.allocation.fund.name", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    method = plain_choice(PayoutMethod.choices, read_only=True)
    method_label = label("method")
    remittance_url = serializers.SerializerMethodField(
        help_text="The remittance advice (PDF) for the partner and program staff."
    )

    class Meta:
        model = Payout
        fields = [
            "id",
            "claim",
            "request",
            "request_title",
            "fund_name",
            "partner",
            "partner_name",
            "amount",
            "currency",
            "method",
            "method_label",
            "reference",
            "paid_on",
            "recorded_at",
            "remittance_url",
        ]
        read_only_fields = fields

    def get_remittance_url(self, payout: Payout) -> str:
        return reverse("mdf_remittance_download", kwargs={"payout_uuid": payout.uuid})


class PayoutCreateSerializer(serializers.Serializer):
    claim = serializers.UUIDField(help_text="The approved claim paid.")
    method = plain_choice(PayoutMethod.choices)
    reference = serializers.CharField(max_length=120, allow_blank=True)
    paid_on = serializers.DateField()
