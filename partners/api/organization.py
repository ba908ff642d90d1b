"""Partner organisations over the API: the directory, profile edits, lifecycle moves and history,
key contacts. Writes go through partners.services.organization."""

import uuid

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from tenancy import selectors as tenancy_selectors
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..models import LifecycleEvent, PartnerOrganization
from ..selectors import organization as selectors
from ..services import organization as services
from . import serializers as s


class PartnerOrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = s.PartnerOrganizationSerializer
    required_perms = (Perm.PARTNERS_VIEW,)

    def scoped_queryset(self):
        if self.action != "list":
            return selectors.partner_organizations_for(self.actor).select_related(
                "channel_manager", "tier"
            )
        query = s.PartnerDirectoryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = dict(query.validated_data)
        manager_email = filters.pop("manager", "")
        filters["manager"] = None
        if manager_email:
            membership = (
                tenancy_selectors.partner_managers(self.actor)
                .filter(user__email__iexact=manager_email)
                .first()
            )
            if membership is None:  # nobody by that email here: nothing is theirs
                return PartnerOrganization.objects.none()
            filters["manager"] = membership.user_id
        return selectors.partner_directory(self.actor, **filters)

    @extend_schema(parameters=[s.PartnerDirectoryQuerySerializer])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.PartnerProfileUpdateSerializer,
        responses=s.PartnerOrganizationSerializer,
        description="Change profile fields. Program admins and the partner's channel manager; "
        "partner admins for their own organisation. `channel_manager`: program admins only.",
    )
    def partial_update(self, request, id=None):
        partner = self.get_object()
        payload = s.PartnerProfileUpdateSerializer(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        partner = services.partner_update_profile(
            actor=self.actor, partner=partner, **payload.validated_data
        )
        return Response(s.PartnerOrganizationSerializer(self._reload(partner)).data)

    @extend_schema(
        request=s.TransitionSerializer,
        responses=s.PartnerOrganizationSerializer,
        description="Move the partner through its lifecycle (illegal moves answer 400). "
        "Suspending and retiring need a reason.",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, id=None):
        partner = self.get_object()
        payload = s.TransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        partner = services.partner_transition(
            actor=self.actor, partner=partner, **payload.validated_data
        )
        return Response(s.PartnerOrganizationSerializer(self._reload(partner)).data)

    @extend_schema(responses=s.LifecycleEventSerializer(many=True))
    @action(detail=True, methods=["get"], serializer_class=s.LifecycleEventSerializer)
    def history(self, request, id=None):
        partner = self.get_object()
        events = LifecycleEvent.objects.filter(partner=partner).order_by("-created_at", "-id")
        return Response(s.LifecycleEventSerializer(events, many=True).data)

    def _reload(self, partner):
        return self.scoped_queryset().get(pk=partner.pk)


class PartnerContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, TenantViewSet
):
    """Key contacts of the partners the caller may see; `?partner=<id>` narrows to one."""

    serializer_class = s.PartnerContactSerializer
    required_perms = (Perm.PARTNERS_VIEW,)

    def scoped_queryset(self):
        qs = selectors.partner_contacts(self.actor)
        partner = self.request.query_params.get("partner")
        if partner and self.action == "list":
            qs = qs.filter(partner__uuid=_uuid_or_400(partner))
        return qs

    @extend_schema(
        parameters=[OpenApiParameter("partner", str, description="A partner organisation's id.")]
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.PartnerContactCreateSerializer, responses={201: s.PartnerContactSerializer}
    )
    def create(self, request):
        payload = s.PartnerContactCreateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        try:
            partner = selectors.partner_for_actor(self.actor, data.pop("partner"))
        except PartnerOrganization.DoesNotExist:
            raise NotFound from None
        contact = services.partner_contact_add(actor=self.actor, partner=partner, **data)
        return Response(s.PartnerContactSerializer(contact).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.partner_contact_remove(actor=self.actor, contact=instance)


def _uuid_or_400(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError({"partner": [_("Not a valid id.")]}) from None


def register(router) -> None:
    router.register(
        "partner-organizations", PartnerOrganizationViewSet, basename="partner-organization"
    )
    router.register("partner-contacts", PartnerContactViewSet, basename="partner-contact")
