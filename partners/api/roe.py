"""API: rules of engagement (versions, drafts, publish, accept)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.api.views import TenantViewSet
from tenancy.network import client_ip

from ..models import RoeAcceptance, RulesOfEngagement
from ..selectors import roe as selectors
from ..services import roe as services
from .documents import DocumentDraftsMixin, DocumentVersionSerializer, document_schema


class RulesOfEngagementSerializer(DocumentVersionSerializer):
    version = serializers.SerializerMethodField(help_text="Null while a draft.")
    published_by = serializers.EmailField(
        source="published_by.email", read_only=True, allow_null=True, default=None
    )

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


@document_schema(RulesOfEngagementSerializer, RulesDraftSerializer)
class RulesOfEngagementViewSet(
    DocumentDraftsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    """Published versions for every member; drafts too for program managers."""

    serializer_class = RulesOfEngagementSerializer
    draft_serializer_class = RulesDraftSerializer

    def scoped_queryset(self):
        return selectors.rules_for(self.actor)

    def draft_create(self, **fields):
        return services.roe_draft_create(actor=self.actor, **fields)

    def draft_update(self, *, document, **fields):
        return services.roe_draft_update(actor=self.actor, rules=document, **fields)

    def draft_publish(self, *, document):
        return services.roe_publish(actor=self.actor, rules=document)

    @extend_schema(
        request=None, responses={201: RoeAcceptanceSerializer, 200: RoeAcceptanceSerializer}
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, id=None):
        # Lookup first: a version out of reach is 404 whatever the role; the service says 403.
        acceptance, created = services.roe_accept(
            actor=self.actor, rules=self.get_object(), ip_address=client_ip(request)
        )
        return Response(
            RoeAcceptanceSerializer(acceptance).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def register(router) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("rules-of-engagement", RulesOfEngagementViewSet, basename="rules-of-engagement")
