"""API: disputes over accounts. Vendor staff with the lock view see all; partner users those about
their organisation's registrations. POST raises one; `comment/` adds a comment (participants and
admins); `decide/` records the outcome (program admins)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.api.views import TenantViewSet

from ..models import Dispute, DisputeComment, DisputeOutcome
from ..selectors import lockview as selectors
from ..selectors.registration import deals_for
from ..services import disputes as services


class DisputeCommentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    author = serializers.EmailField(
        source="author.email", read_only=True, allow_null=True, default=None
    )
    via_api_key = serializers.CharField(
        source="api_key.name",
        read_only=True,
        default=None,
        help_text="The API key's name when the comment was sent with one (author: its creator).",
    )

    class Meta:
        model = DisputeComment
        fields = ["id", "author", "via_api_key", "body", "created_at"]
        read_only_fields = fields


class DisputeSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    account = serializers.UUIDField(source="account.uuid", read_only=True)
    account_name = serializers.CharField(source="account.name", read_only=True)
    registration = serializers.UUIDField(source="registration.uuid", read_only=True, default=None)
    partner_name = serializers.CharField(
        source="registration.partner.name", read_only=True, default=None
    )
    raised_by = serializers.EmailField(
        source="raised_by.email", read_only=True, allow_null=True, default=None
    )
    decided_by = serializers.EmailField(
        source="decided_by.email", read_only=True, allow_null=True, default=None
    )
    comments = DisputeCommentSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id",
            "account",
            "account_name",
            "registration",
            "partner_name",
            "raised_by",
            "reason",
            "status",
            "outcome",
            "decision_note",
            "decided_by",
            "decided_at",
            "created_at",
            "comments",
        ]
        read_only_fields = fields


class DisputeRaiseSerializer(serializers.Serializer):
    account = serializers.UUIDField(required=False)
    registration = serializers.UUIDField(required=False)
    reason = serializers.CharField(max_length=5000, allow_blank=True)

    def validate(self, data):
        if not data.get("account") and not data.get("registration"):
            raise serializers.ValidationError("Give the account or the registration.")
        return data


class DisputeCommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=5000, allow_blank=True)


class DisputeDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=DisputeOutcome.choices)
    note = serializers.CharField(max_length=5000, allow_blank=True)


class DisputeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = DisputeSerializer
    filterset_fields = ["status", "outcome"]

    def check_permissions(self, request):
        super().check_permissions(request)
        if not selectors.may_see_disputes(self.actor):
            self.permission_denied(request, message="Your role does not allow this.")

    def scoped_queryset(self):
        return selectors.disputes_for(self.actor).prefetch_related(
            "comments__author", "comments__api_key"
        )

    def _reload(self, dispute):
        return DisputeSerializer(self.scoped_queryset().get(pk=dispute.pk)).data

    @extend_schema(request=DisputeRaiseSerializer, responses={201: DisputeSerializer})
    def create(self, request):
        payload = DisputeRaiseSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        registration = None
        if data.get("registration"):
            registration = get_object_or_404(
                deals_for(self.actor).select_related("account"), uuid=data["registration"]
            )
        if data.get("account"):
            account = get_object_or_404(self._accounts(), uuid=data["account"])
        elif registration is not None and registration.account is not None:
            account = registration.account
        else:
            raise serializers.ValidationError({"account": "The registration has no account."})
        dispute = services.dispute_raise(
            actor=self.actor, account=account, reason=data["reason"], registration=registration
        )
        return Response(self._reload(dispute), status=status.HTTP_201_CREATED)

    def _accounts(self):
        from ..models import CustomerAccount

        if self.actor.is_partner:  # partners reach accounts only through their registrations
            return CustomerAccount.objects.filter(
                registrations__in=deals_for(self.actor).values("pk")
            ).distinct()
        return selectors.accounts_for(self.actor)

    @extend_schema(request=DisputeCommentCreateSerializer, responses={201: DisputeSerializer})
    @action(detail=True, methods=["post"])
    def comment(self, request, id=None):
        dispute = self.get_object()
        payload = DisputeCommentCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.dispute_comment(actor=self.actor, dispute=dispute, **payload.validated_data)
        return Response(self._reload(dispute), status=status.HTTP_201_CREATED)

    @extend_schema(request=DisputeDecideSerializer, responses=DisputeSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, id=None):
        dispute = self.get_object()
        payload = DisputeDecideSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        services.dispute_decide(actor=self.actor, dispute=dispute, **payload.validated_data)
        return Response(self._reload(dispute))


def register(router) -> None:
    router.register("deal-disputes", DisputeViewSet, basename="deal-dispute")
