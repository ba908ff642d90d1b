from django.urls import path

from ..views import tiers as views

urlpatterns = [
    path("console/program/tiers/", views.console_tiers, name="console_tiers"),
    path("console/program/tiers/new/", views.console_tier_edit, name="console_tier_create"),
    path(
        "console/program/tiers/<uuid:tier_uuid>/", views.console_tier_edit, name="console_tier_edit"
    ),
    path(
        "console/program/tier-proposals/",
        views.console_tier_proposals,
        name="console_tier_proposals",
    ),
    path(
        "console/program/tier-proposals/<uuid:proposal_uuid>/decide/",
        views.console_tier_proposal_decide,
        name="console_tier_proposal_decide",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/tier/",
        views.console_partner_tier,
        name="console_partner_tier",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/revenue/",
        views.console_partner_revenue,
        name="console_partner_revenue",
    ),
    path(
        "tiers/progress/<uuid:partner_uuid>/",
        views.tier_progress_fragment,
        name="tier_progress_fragment",
    ),
    path("portal/tier/", views.portal_tier, name="portal_tier"),
]
