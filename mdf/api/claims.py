"""API: claims with proof of performance. A claim is visible to whoever sees its request. The
partner claims an approved request (multipart: the figures plus `files`, with `kinds` saying what
each shows) — or sends a claim returned for changes again the same way; the reviewer decides
(`decide/`: approve — all or part —, reject or ask for changes)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from tenancy import access
from tenancy.access import Perm
from tenancy.api.parsers import FormParser, JSONParser, MultiPartParser
from tenancy.api.views import TenantViewSet

from .. import selectors
from ..models import Claim
from ..services import requests as services
from . import serializers as s


def claims_for(actor):
    """Claims whose request the actor may see (the request's scope is the claim's)."""
    return (
        Claim.objects.filter(request__in=selectors.requests_for(actor).values("pk"))
        .select_related("request__allocation__fund", "partner", "submitted_by", "payout")
        .prefetch_related("files")
    )


class ClaimViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    """Claims in the caller's scope, newest first; `?status=` narrows the list."""

    serializer_class = s.ClaimSerializer
    required_perms = (Perm.MDF_VIEW,)
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    filterset_fields = ["status"]

    def scoped_queryset(self):
        return claims_for(self.actor)

    def _fresh(self, claim, code=status.HTTP_200_OK) -> Response:
        return Response(
            s.ClaimSerializer(self.scoped_queryset().get(pk=claim.pk)).data, status=code
        )

    @extend_schema(
        request={"multipart/form-data": s.ClaimCreateSerializer},
        responses={
            201: s.ClaimSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: None,
        },
    )
    def create(self, request):
        """Claim an approved request of the caller's organisation: what was spent (at most the
        approved amount, in any currency with an exchange rate) and proof of performance."""
        access.require(self.actor, Perm.MDF_REQUEST)
        payload = s.ClaimCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        fund_request = get_object_or_404(
            selectors.requests_for(self.actor), uuid=data.pop("request")
        )
        claim = services.claim_submit(actor=self.actor, fund_request=fund_request, **data)
        return self._fresh(claim, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.MdfDecisionSerializer, responses={200: s.ClaimSerializer, 400: None, 403: None}
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, id=None):
        """Approve the claim (all or part: the rest is released), reject it or send it back for
        changes: its partner's channel manager, program admins, marketing."""
        # Lookup first: out of reach is 404 whatever the role; then the role's 403.
        claim = self.get_object()
        access.require(self.actor, Perm.MDF_DECIDE)
        payload = s.MdfDecisionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        claim = services.claim_decide(actor=self.actor, claim=claim, **payload.validated_data)
        return self._fresh(claim)


def register(router) -> None:
    router.register("mdf-claims", ClaimViewSet, basename="mdf-claim")
