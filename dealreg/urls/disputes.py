from django.urls import path

from ..views import disputes as views

urlpatterns = [
    path("console/disputes/", views.console_disputes, name="console_disputes"),
    path(
        "console/disputes/<uuid:dispute_uuid>/",
        views.console_dispute_detail,
        name="console_dispute_detail",
    ),
    path(
        "console/accounts/<uuid:account_uuid>/disputes/",
        views.console_dispute_raise,
        name="console_dispute_raise",
    ),
    path("portal/disputes/", views.portal_disputes, name="portal_disputes"),
    path(
        "portal/disputes/<uuid:dispute_uuid>/",
        views.portal_dispute_detail,
        name="portal_dispute_detail",
    ),
    path(
        "portal/deals/<uuid:deal_uuid>/dispute/",
        views.portal_dispute_raise,
        name="portal_dispute_raise",
    ),
]
