"""API for partner imports: upload a file (multipart), poll its status and errors, confirm it."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy.access import Perm
from tenancy.api.parsers import FormParser, JSONParser, MultiPartParser
from tenancy.api.views import TenantViewSet

from ..models import PartnerImport
from ..selectors import imports as selectors
from ..services import imports as services


class ImportErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text="Row number as the spreadsheet shows it"
    )
    field = serializers.CharField()
    message = serializers.CharField()


class PartnerImportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True, default=None
    )
    progress_pct = serializers.SerializerMethodField()
    errors = ImportErrorSerializer(many=True, read_only=True)
    preview = serializers.JSONField(
        read_only=True, help_text="Counts (new, updated, unchanged, ...) and the first rows"
    )

    class Meta:
        model = PartnerImport
        fields = [
            "id",
            "original_name",
            "status",
            "total_rows",
            "processed_rows",
            "progress_pct",
            "created_count",
            "updated_count",
            "errors",
            "preview",
            "created_by",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_progress_pct(self, obj: PartnerImport) -> int:
        return selectors.import_progress(obj).pct


class PartnerImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A .csv or .xlsx file, header row first")


class PartnerImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = PartnerImportSerializer
    required_perms = (Perm.PROGRAM_MANAGE,)
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["status"]

    def scoped_queryset(self):
        return selectors.partner_imports_for(self.actor)

    @extend_schema(
        request={"multipart/form-data": PartnerImportUploadSerializer},
        responses={201: PartnerImportSerializer},
    )
    def create(self, request):
        payload = PartnerImportUploadSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        partner_import = services.partner_import_create(
            actor=self.actor, upload=payload.validated_data["file"]
        )
        return Response(
            PartnerImportSerializer(partner_import).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(request=None, responses={202: PartnerImportSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, id=None):
        """Import a file whose status is `ready` (or retry a `failed` one)."""
        partner_import = services.partner_import_start(
            actor=self.actor, partner_import=self.get_object()
        )
        return Response(
            PartnerImportSerializer(partner_import).data, status=status.HTTP_202_ACCEPTED
        )


def register(router) -> None:
    router.register("partner-imports", PartnerImportViewSet, basename="partner-import")
