from django.urls import path

from ..views import roe as views

urlpatterns = [
    path("console/program/rules/", views.console_roe, name="console_roe"),
    path("console/program/rules/preview/", views.console_roe_preview, name="console_roe_preview"),
    path(
        "console/program/rules/<uuid:rules_uuid>/",
        views.console_roe_detail,
        name="console_roe_detail",
    ),
    path(
        "console/program/rules/<uuid:rules_uuid>/publish/",
        views.console_roe_publish,
        name="console_roe_publish",
    ),
    path("portal/rules/", views.portal_roe, name="portal_roe"),
    path(
        "portal/rules/<uuid:rules_uuid>/accept/",
        views.portal_roe_accept,
        name="portal_roe_accept",
    ),
    path("rules-of-engagement/", views.public_roe, name="public_roe"),
    path(
        "rules-of-engagement/v<int:version>/",
        views.public_roe_version,
        name="public_roe_version",
    ),
]
