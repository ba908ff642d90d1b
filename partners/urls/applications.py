from django.urls import path

from ..views import applications as views
from ..views import routing as routing_views

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
        "console/applications/routing/",
        routing_views.console_routing,
        name="console_application_routing",
    ),
    path(
        "console/applications/routing/<uuid:rule_uuid>/",
        routing_views.console_routing_rule,
        name="console_application_routing_rule",
    ),
    path(
        "console/applications/<uuid:application_uuid>/claim/",
        views.console_application_claim,
        name="console_application_claim",
    ),
    path(
        "console/applications/<uuid:application_uuid>/approve/",
        views.console_application_decide,
        {"decision": "approve"},
        name="console_application_approve",
    ),
    path(
        "console/applications/<uuid:application_uuid>/decline/",
        views.console_application_decide,
        {"decision": "reject"},
        name="console_application_decline",
    ),
    path(
        "console/applications/<uuid:application_uuid>/reject/",
        views.console_application_reject,
        name="console_application_reject",
    ),
]
