"""API: partner agreement versions (drafts, publish) and signatures (read; partners sign).

Signatures are immutable: there is no update or delete, and the only write is `sign/`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from partners.api.documents import DocumentDraftsMixin, DocumentVersionSerializer, document_schema
from partners.api.serializers import plain_choice
from partners.models import PartnerType
from tenancy import access
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..models import AgreementSignature, AgreementTemplate, SignatureMethod
from ..selectors import agreements as selectors
from ..services import agreements as services

PARTNER_TYPE_CHOICES = [("", "All partner types"), *PartnerType.choices]


class AgreementTemplateSerializer(DocumentVersionSerializer):
    partner_type = plain_choice(PARTNER_TYPE_CHOICES, read_only=True)
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = AgreementTemplate
        fields = [
            "id",
            "version",
            "status",
            "title",
            "partner_type",
            "body",
            "body_html",
            "summary_of_changes",
            "created_at",
            "created_by",
            "published_at",
        ]
        read_only_fields = fields


class AgreementDraftSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    partner_type = plain_choice(PARTNER_TYPE_CHOICES, required=False, allow_blank=True)
    body = serializers.CharField()
    summary_of_changes = serializers.CharField(required=False, allow_blank=True)


class AgreementSignatureSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    partner = serializers.UUIDField(source="partner.uuid", read_only=True)
    partner_name = serializers.CharField(source="partner.name", read_only=True)
    template = serializers.UUIDField(source="template.uuid", read_only=True)
    title = serializers.CharField(source="template.title", read_only=True)
    version = serializers.IntegerField(source="template.version", read_only=True)
    method = plain_choice(SignatureMethod.choices, read_only=True)
    signed_by = serializers.EmailField(
        source="signed_by.email", read_only=True, allow_null=True, default=None
    )
    recorded_by = serializers.EmailField(
        source="recorded_by.email", read_only=True, allow_null=True, default=None
    )
    has_contract = serializers.SerializerMethodField()

    class Meta:
        model = AgreementSignature
        fields = [
            "id",
            "partner",
            "partner_name",
            "template",
            "title",
            "version",
            "method",
            "text_signed",
            "text_sha256",
            "signer_name",
            "signer_title",
            "signer_email",
            "signed_by",
            "recorded_by",
            "signed_at",
            "ip_address",
            "has_contract",
            "contract_sha256",
        ]
        read_only_fields = fields

    def get_has_contract(self, signature) -> bool:
        return bool(signature.contract_file)


class AgreementSignSerializer(serializers.Serializer):
    template = serializers.UUIDField(help_text="The current agreement version's id.")
    signer_name = serializers.CharField(max_length=200, allow_blank=True)
    signer_title = serializers.CharField(max_length=200, allow_blank=True)
    agree = serializers.BooleanField(
        default=False, help_text="Must be true: the signer agrees on behalf of the organization."
    )


@document_schema(AgreementTemplateSerializer, AgreementDraftSerializer)
class AgreementTemplateViewSet(
    DocumentDraftsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet
):
    """Every version (drafts too) for program staff; the published versions that apply to their
    organisation for partner users."""

    serializer_class = AgreementTemplateSerializer
    draft_serializer_class = AgreementDraftSerializer
    filterset_fields = ["partner_type"]

    def scoped_queryset(self):
        return selectors.templates_for(self.actor)

    def draft_create(self, **fields):
        return services.agreement_draft_create(actor=self.actor, **fields)

    def draft_update(self, *, document, **fields):
        return services.agreement_draft_update(actor=self.actor, template=document, **fields)

    def draft_publish(self, *, document):
        return services.agreement_publish(actor=self.actor, template=document)


class AgreementSignatureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Signatures in the actor's reach: a partner user's own organisation's, a channel manager's
    partners', every one for program admins and executives. Never updated or deleted."""

    serializer_class = AgreementSignatureSerializer

    def scoped_queryset(self):
        if not (self.actor.has(Perm.PARTNERS_VIEW) or self.actor.has(Perm.PORTAL_VIEW)):
            access.require(self.actor, Perm.PARTNERS_VIEW)  # raises 403
        return selectors.signatures_for(self.actor)

    @extend_schema(request=AgreementSignSerializer, responses={201: AgreementSignatureSerializer})
    @action(detail=False, methods=["post"])
    def sign(self, request):
        """A partner admin signs the current agreement version for their organisation."""
        access.require(self.actor, Perm.AGREEMENT_SIGN)
        payload = AgreementSignSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        template = selectors.templates_for(self.actor).filter(uuid=data.pop("template")).first()
        if template is None:
            raise ValidationError({"template": _("No published agreement version with this id.")})
        signature = services.agreement_sign(actor=self.actor, template=template, **data)
        return Response(
            AgreementSignatureSerializer(signature).data, status=status.HTTP_201_CREATED
        )


def register(router) -> None:
    """Register this area's viewsets on the /api/v1/ router."""
    router.register("agreement-templates", AgreementTemplateViewSet, basename="agreement-templates")
    router.register(
        "agreement-signatures", AgreementSignatureViewSet, basename="agreement-signatures"
    )
