from django.urls import include, path
from rest_framework.routers import DefaultRouter

from enablement.assets.api import register
from prm.urls import urlpatterns as base

router = DefaultRouter()
register(router)

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("", include("enablement.assets.urls")),
    *base,
]
