from django.urls import path

from . import views

urlpatterns = [
    path("portal/assets/", views.portal_assets, name="portal_assets"),
    path("portal/assets/<uuid:asset_uuid>/", views.portal_asset_detail, name="portal_asset_detail"),
    path(
        "portal/assets/<uuid:asset_uuid>/download/",
        views.asset_download,
        name="asset_download",
    ),
    path(
        "portal/assets/<uuid:asset_uuid>/versions/<uuid:version_uuid>/download/",
        views.asset_version_download,
        name="asset_version_download",
    ),
    path("portal/playbook/", views.portal_playbook, name="portal_playbook"),
    path("console/assets/", views.console_assets, name="console_assets"),
    path(
        "console/assets/<uuid:asset_uuid>/",
        views.console_asset_detail,
        name="console_asset_detail",
    ),
    path("console/playbook/", views.console_playbook, name="console_playbook"),
    path(
        "console/playbook/<uuid:stage_uuid>/",
        views.console_playbook_stage,
        name="console_playbook_stage",
    ),
]
