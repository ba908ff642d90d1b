from django.urls import path

from . import views, views_churn, views_psat, views_value

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
    path(
        "console/analytics/psat/", views_psat.console_analytics_psat, name="console_analytics_psat"
    ),
    path("portal/survey/", views_psat.portal_survey, name="portal_survey"),
    path(
        "console/analytics/customers/",
        views_value.console_analytics_customers,
        name="console_analytics_customers",
    ),
    path(
        "console/analytics/churn/",
        views_churn.console_analytics_churn,
        name="console_analytics_churn",
    ),
    path(
        "console/analytics/churn/retrain/",
        views_churn.console_analytics_churn_retrain,
        name="console_analytics_churn_retrain",
    ),
]
