from django.urls import path

from ..views import workflow as views

urlpatterns = [
    path("console/onboarding/runs/", views.console_onboarding_runs, name="console_onboarding_runs"),
    path(
        "console/onboarding/runs/<uuid:run_uuid>/retry/",
        views.console_onboarding_run_retry,
        name="console_onboarding_run_retry",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/onboarding/",
        views.console_partner_onboarding,
        name="console_partner_onboarding",
    ),
    path("console/onboarding/cadence/", views.console_cadence, name="console_cadence"),
    path(
        "console/onboarding/cadence/recommended/",
        views.console_cadence_load_recommended,
        name="console_cadence_load_recommended",
    ),
    path(
        "console/onboarding/cadence/<uuid:step_uuid>/",
        views.console_cadence_step,
        name="console_cadence_step",
    ),
    path(
        "console/onboarding/cadence/<uuid:step_uuid>/delete/",
        views.console_cadence_step_delete,
        name="console_cadence_step_delete",
    ),
    path(
        "console/onboarding/cadence/<uuid:step_uuid>/toggle/",
        views.console_cadence_step_toggle,
        name="console_cadence_step_toggle",
    ),
    path(
        "onboarding/unsubscribe/<str:unsubscribe_token>/",
        views.onboarding_unsubscribe,
        name="onboarding_unsubscribe",
    ),
]
