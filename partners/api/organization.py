from rest_framework import mixins

from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from ..selectors import organization as selectors
from .serializers import PartnerOrganizationSerializer


class PartnerOrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantViewSet):
    serializer_class = PartnerOrganizationSerializer
    required_perms = (Perm.PARTNERS_VIEW,)
    filterset_fields = ["partner_type", "is_active"]

    def scoped_queryset(self):
        return selectors.partner_organizations_for(self.actor).select_related("channel_manager")


def register(router) -> None:
    router.register(
        "partner-organizations", PartnerOrganizationViewSet, basename="partner-organization"
    )
