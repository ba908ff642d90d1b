from django.urls import path

from . import views

urlpatterns = [
    path("console/analytics/", views.console_analytics, name="console_analytics"),
    path(
        "console/analytics/definitions/",
        views.console_analytics_definitions,
        name="console_analytics_definitions",
    ),
    path(
        "console/analytics/partners/<uuid:partner_uuid>/",
        views.console_analytics_partner,
        name="console_analytics_partner",
    ),
    path(
        "console/analytics/refresh/",
        views.console_analytics_refresh,
        name="console_analytics_refresh",
    ),
]
