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
    path(
        "console/analytics/settings/",
        views.console_analytics_settings,
        name="console_analytics_settings",
    ),
    path(
        "console/analytics/reports/",
        views.console_analytics_reports,
        name="console_analytics_reports",
    ),
    path(
        "console/analytics/reports/<uuid:report_uuid>/",
        views.console_analytics_report_status,
        name="console_analytics_report_status",
    ),
    path(
        "console/analytics/reports/<uuid:report_uuid>/download/",
        views.console_analytics_report_download,
        name="console_analytics_report_download",
    ),
]
