from django.urls import include, path
from rest_framework.routers import DefaultRouter

from enablement.certs.api import register
from prm.urls import urlpatterns as base

router = DefaultRouter()
register(router)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("", include("enablement.certs.urls")),
    # The journey test also needs the LMS pages (until the lead wires both into prm.urls).
    path("", include("enablement.lms.urls")),
    *base,
]
