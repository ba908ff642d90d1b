"""API: what every versioned document shares (see partners.services.documents): the version's
status and sanitised HTML, and the draft endpoints (create, partial update, publish). Each
document's viewset names its serializers and its services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.common.markdown import markdown_to_safe_html


# NOTE: no docstring here: drf-spectacular would publish it as every subclass's description.
class DocumentVersionSerializer(serializers.ModelSerializer):
    # Base of a version's representation; subclasses list their model's fields in Meta.
    id = serializers.UUIDField(source="uuid", read_only=True)
    status = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField(help_text="The body rendered and sanitised.")

    def get_status(self, document) -> str:
        return "published" if document.published_at is not None else "draft"

    def get_body_html(self, document) -> str:
        return str(markdown_to_safe_html(document.body))


class DocumentDraftsMixin:
    """`POST /` creates a draft, `PATCH /<id>/` edits one (omitted fields keep their values),
    `POST /<id>/publish/` publishes it. Only program managers write: 403 before any lookup.

    Subclasses set `draft_serializer_class` and the three services, each called with the actor and
    the payload's fields (`update` and `publish` also with `document=`)."""

    draft_serializer_class: type[serializers.Serializer]

    def draft_create(self, **fields):
        raise NotImplementedError

    def draft_update(self, *, document, **fields):
        raise NotImplementedError

    def draft_publish(self, *, document):
        raise NotImplementedError

    def _draft_payload(self, data) -> dict:
        payload = self.draft_serializer_class(data=data)
        payload.is_valid(raise_exception=True)
        return payload.validated_data

    def create(self, request):
        access.require(self.actor, Perm.PROGRAM_MANAGE)
        document = self.draft_create(**self._draft_payload(request.data))
        return Response(self.get_serializer(document).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)  # 403 before drafts are looked up
        document = self.get_object()
        current = {name: getattr(document, name) for name in self.draft_serializer_class().fields}
        fields = self._draft_payload({**current, **request.data})
        document = self.draft_update(document=document, **fields)
        return Response(self.get_serializer(document).data)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def publish(self, request, id=None):
        access.require(self.actor, Perm.PROGRAM_MANAGE)  # 403 before drafts are looked up
        document = self.draft_publish(document=self.get_object())
        return Response(self.get_serializer(document).data)


def document_schema(version_serializer, draft_serializer):
    """The OpenAPI description of one document's draft endpoints (a class decorator)."""
    return extend_schema_view(
        create=extend_schema(request=draft_serializer, responses={201: version_serializer}),
        partial_update=extend_schema(request=draft_serializer, responses=version_serializer),
        publish=extend_schema(request=None, responses=version_serializer),
    )
