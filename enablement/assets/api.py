"""API: the asset library (`assets`) and the sales playbook (`playbook-stages`)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from partners.models import PartnerType, Tier
from tenancy import access
from tenancy.access import Perm
from tenancy.api.parsers import FormParser, JSONParser, MultiPartParser
from tenancy.api.views import TenantViewSet
from tenancy.common.markdown import markdown_to_safe_html

from . import selectors, services
from .forms import PARTNER_ROLE_CHOICES
from .models import Asset, AssetType, AssetVersion, PlaybookStage


class AssetVersionSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    is_file = serializers.BooleanField(read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = AssetVersion
        fields = ["id", "number", "is_file", "original_name", "size", "notes", "uploaded_at"]
        fields += ["download_url"]

    def get_download_url(self, version) -> str:
        return f"/portal/assets/{version.asset.uuid}/versions/{version.uuid}/download/"


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    stage = serializers.SlugRelatedField(
        slug_field="uuid", queryset=PlaybookStage.objects.none(), allow_null=True, required=False
    )
    tiers = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Tier.objects.none(), many=True, required=False
    )
    partner_types = serializers.ListField(
        child=serializers.ChoiceField(choices=PartnerType.choices), required=False
    )
    partner_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=PARTNER_ROLE_CHOICES), required=False
    )
    type = serializers.ChoiceField(choices=AssetType.choices)
    versions = AssetVersionSerializer(many=True, read_only=True)
    # Write-only: a first version, uploaded (validated by content) or linked.
    file = serializers.FileField(write_only=True, required=False)
    url = serializers.URLField(write_only=True, required=False, allow_blank=True)
    notes = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = Asset
        fields = [
            "id",
            "title",
            "description",
            "type",
            "product",
            "stage",
            "language",
            "tiers",
            "partner_types",
            "partner_roles",
            "is_published",
            "created_at",
            "updated_at",
            "versions",
            "file",
            "url",
            "notes",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not getattr(self.context.get("view"), "swagger_fake_view", False):
            self.fields["stage"].queryset = PlaybookStage.objects.all()
            self.fields["tiers"].child_relation.queryset = Tier.objects.all()


class PlaybookLinkSerializer(serializers.Serializer):
    asset = serializers.UUIDField(source="asset.uuid")
    title = serializers.CharField(source="asset.title")
    type = serializers.CharField(source="asset.type")
    position = serializers.IntegerField()
    note = serializers.CharField()


class PlaybookStageSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    guidance_html = serializers.SerializerMethodField()
    assets = PlaybookLinkSerializer(source="visible_links", many=True, read_only=True)

    class Meta:
        model = PlaybookStage
        fields = ["id", "name", "position", "guidance", "guidance_html", "assets"]

    def get_guidance_html(self, stage) -> str:
        return str(markdown_to_safe_html(stage.guidance))


def _require_reader(actor) -> None:
    access.require_mfa(actor)
    if not (actor.has(Perm.PORTAL_VIEW) or actor.has(Perm.PROGRAM_VIEW)):
        access.require(actor, Perm.PROGRAM_VIEW)  # raises the 403


# Examples in the OpenAPI document: what a partner's key finds in the asset library.
BATTLE_CARD = "b4866d42-b447-4adc-b775-269ae711ceba"
ASSET_LIST_EXAMPLES = [
    OpenApiExample(
        "PartnerLibrary",
        summary="The published assets for the caller's tier, partner type and role",
        value={
            "id": BATTLE_CARD,
            "title": "Cloud Platform battle card",
            "description": "Where the Cloud Platform wins against on-premises clusters.",
            "type": "battle_card",
            "product": "Cloud Platform",
            "stage": None,
            "language": "en",
            "tiers": [],
            "partner_types": [],
            "partner_roles": ["partner_admin", "partner_sales"],
            "is_published": True,
            "created_at": "2026-11-20T10:12:03.928810Z",
            "updated_at": "2026-11-20T10:12:03.961061Z",
            "versions": [
                {
                    "id": "0defd9e2-a856-476d-8020-c8d7dcde351e",
                    "number": 1,
                    "is_file": True,
                    "original_name": "cloud-platform-battle-card.pdf",
                    "size": 482113,
                    "notes": "",
                    "uploaded_at": "2026-11-20T10:12:03.932064Z",
                    "download_url": f"/portal/assets/{BATTLE_CARD}/versions/"
                    "0defd9e2-a856-476d-8020-c8d7dcde351e/download/",
                }
            ],
        },
        response_only=True,
    )
]


@extend_schema_view(list=extend_schema(examples=ASSET_LIST_EXAMPLES))
class AssetViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    serializer_class = AssetSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    filterset_fields = ["type", "product", "language", "is_published"]

    def scoped_queryset(self):
        _require_reader(self.actor)
        return selectors.asset_detail(self.actor)

    def create(self, request):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        payload = AssetSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        asset = services.asset_create(actor=self.actor, **payload.validated_data)
        asset = selectors.asset_detail(self.actor).get(pk=asset.pk)
        return Response(AssetSerializer(asset).data, status=status.HTTP_201_CREATED)

    def _update(self, request, partial: bool):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        asset = self.get_object()
        payload = AssetSerializer(
            asset, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        new_version = {k: data.pop(k) for k in ("file", "url", "notes") if k in data}
        services.asset_update(actor=self.actor, asset=asset, **data)
        if new_version.get("file") is not None or new_version.get("url"):
            services.asset_version_add(actor=self.actor, asset=asset, **new_version)
        asset = selectors.asset_detail(self.actor).get(pk=asset.pk)
        return Response(AssetSerializer(asset).data)

    def update(self, request, id=None):
        return self._update(request, partial=False)

    @extend_schema(request=AssetSerializer, responses=AssetSerializer)
    def partial_update(self, request, id=None):
        return self._update(request, partial=True)

    def destroy(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        services.asset_delete(actor=self.actor, asset=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlaybookStageViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = PlaybookStageSerializer

    def scoped_queryset(self):
        _require_reader(self.actor)
        return selectors.playbook_stages(self.actor)


def register(router) -> None:
    router.register("assets", AssetViewSet, basename="asset")
    router.register("playbook-stages", PlaybookStageViewSet, basename="playbook-stage")
