from django.urls import path

from ..views import applications as views

urlpatterns = [
    path("console/applications/", views.console_application_list, name="console_application_list"),
    path(
        "console/applications/<uuid:application_uuid>/",
        views.console_application_detail,
        name="console_application_detail",
    ),
    path(
        "console/applications/<uuid:application_uuid>/merge/",
        views.console_application_merge,
        name="console_application_merge",
    ),
    path(
        "console/applications/<uuid:application_uuid>/create/",
        views.console_application_create,
        name="console_application_create",
    ),
    path(
        "console/applications/<uuid:application_uuid>/reject/",
        views.console_application_reject,
        name="console_application_reject",
    ),
]
