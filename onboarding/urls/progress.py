from django.urls import path

from ..views import progress as views

urlpatterns = [
    path("portal/onboarding/", views.portal_onboarding, name="portal_onboarding"),
    path("portal/tour/seen/", views.portal_tour_seen, name="portal_tour_seen"),
    path("portal/setup/", views.portal_setup_wizard, name="portal_setup_wizard"),
    path(
        "portal/setup/<slug:step>/", views.portal_setup_wizard_step, name="portal_setup_wizard_step"
    ),
    path(
        "console/onboarding/",
        views.console_onboarding_funnel,
        name="console_onboarding_funnel",
    ),
    path(
        "console/onboarding/gates/", views.console_onboarding_gates, name="console_onboarding_gates"
    ),
]
