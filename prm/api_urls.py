from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny
from rest_framework.routers import DefaultRouter

from analytics import api as analytics_api
from dealreg import api as dealreg_api
from enablement.assets import api as assets_api
from enablement.certs import api as certs_api
from enablement.live import api as live_api
from enablement.lms import api as lms_api
from integrations import api as integrations_api
from mdf import api as mdf_api
from onboarding import api as onboarding_api
from partners.api.urls import register as register_partner_api
from tenancy.api import views as tenancy_api

router = DefaultRouter()
router.register("memberships", tenancy_api.MembershipViewSet, basename="membership")
router.register("invitations", tenancy_api.InvitationViewSet, basename="invitation")
router.register("api-keys", tenancy_api.ApiKeyViewSet, basename="api-key")
router.register("audit-events", tenancy_api.AuditEventViewSet, basename="audit-event")
router.register("notifications", tenancy_api.NotificationViewSet, basename="notification")
register_partner_api(router)
for register_area_api in (
    lms_api.register,
    live_api.register,
    certs_api.register,
    assets_api.register,
    onboarding_api.register,
    dealreg_api.register,
    mdf_api.register,
    analytics_api.register,
    integrations_api.register,
):
    register_area_api(router)

urlpatterns = [
    path("me/", tenancy_api.MeView.as_view(), name="api-me"),
    # The schema describes the API, not any tenant's data: readable without a key.
    path("schema/", SpectacularAPIView.as_view(permission_classes=[AllowAny]), name="api-schema"),
    path(
        "docs/",
        # The split view serves Swagger UI's start-up script as a file (?script), not inline:
        # the Content-Security-Policy allows scripts from this site only.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema", permission_classes=[AllowAny]),
        name="api-docs",
    ),
    path("", include(router.urls)),
]
