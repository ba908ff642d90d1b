"""API: rules of engagement (versions, drafts, publish, accept)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet
from tenancy.common.markdown import markdown_to_safe_html

from ..models import RoeAcceptance, RulesOfEngagement
from ..selectors import roe as selectors
from ..services import roe as services


class RulesOfEngagementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    version = serializers.SerializerMethodField(help_text="Null while a draft.")
    status = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField(help_text="The body rendered and sanitised.")
    published_by = serializers.EmailField(source="published_by.email", read_only=True, default=None)

    class Meta:
        model = RulesOfEngagement
        fields = [
            "id",
            "version",
            "status",
            "title",
            "body",
            "body_html",
            "change_summary",
            "created_at",
            "published_at",
            "published_by",
        ]
        read_only_fields = ["created_at", "published_at"]

    def get_version(self, rules) -> int | None:
        return rules.version if rules.published_at is not None else None

    def get_status(self, rules) -> str:
        return "published" if rules.published_at is not None else "draft"

    def get_body_html(self, rules) -> str:
        return str(markdown_to_safe_html(rules.body))


class RulesDraftSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField()
    change_summary = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RoeAcceptanceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    rules = serializers.UUIDField(source="rules.uuid", read_only=True)
    version = serializers.IntegerField(source="rules.version", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    user = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = RoeAcceptance
        fields = ["id", "rules", "version", "partner", "user", "accepted_at"]


class RulesOfEngagementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Published versions for every member; drafts too for program managers."""

    serializer_class = RulesOfEngagementSerializer

    def scoped_queryset(self):
        return selectors.rules_for(self.actor)

    @extend_schema(request=RulesDraftSerializer, responses={201: RulesOfEngagementSerializer})
    def create(self, request):
        payload = RulesDraftSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        rules = services.roe_draft_create(actor=self.actor, **payload.validated_data)
        return Response(self.get_serializer(rules).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RulesDraftSerializer, responses=RulesOfEngagementSerializer)
    def partial_update(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)  # 403 before drafts are looked up
        rules = self.get_object()
        data = {
            "title": rules.title,
            "body": rules.body,
            "change_summary": rules.change_summary,
            **request.data,
        }
        payload = RulesDraftSerializer(data=data)
        payload.is_valid(raise_exception=True)
        rules = services.roe_draft_update(actor=self.actor, rules=rules, **payload.validated_data)
        return Response(self.get_serializer(rules).data)

    @extend_schema(request=None, responses=RulesOfEngagementSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)  # 403 before drafts are looked up
        rules = services.roe_publish(actor=self.actor, rules=self.get_object())
        return Response(self.get_serializer(rules).data)

    @extend_schema(
        request=None, responses={201: RoeAcceptanceSerializer, 200: RoeAcceptanceSerializer}
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, id=None):
        # Lookup first: a version out of reach is 404 whatever the role; the service says 403.
        acceptance, created = services.roe_accept(
            actor=self.actor, rules=self.get_object(), ip_address=request.META.get("REMOTE_ADDR")
        )
        return Response(
            RoeAcceptanceSerializer(acceptance).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def register(router) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("rules-of-engagement", RulesOfEngagementViewSet, basename="rules-of-engagement")
