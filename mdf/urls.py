from django.urls import path

from . import campaign_views, views

urlpatterns = [
    path("portal/mdf/", views.portal_mdf, name="portal_mdf"),
    path("portal/mdf/requests/new/", views.portal_mdf_request_new, name="portal_mdf_request_new"),
    path(
        "portal/mdf/requests/<uuid:request_uuid>/",
        views.portal_mdf_request,
        name="portal_mdf_request",
    ),
    path("mdf/proofs/<uuid:file_uuid>/", views.mdf_proof_download, name="mdf_proof_download"),
    path(
        "mdf/payouts/<uuid:payout_uuid>/remittance.pdf",
        views.mdf_remittance_download,
        name="mdf_remittance_download",
    ),
    path("console/mdf/", views.console_mdf, name="console_mdf"),
    path("console/mdf/requests/", views.console_mdf_requests, name="console_mdf_requests"),
    path(
        "console/mdf/requests/<uuid:request_uuid>/",
        views.console_mdf_request,
        name="console_mdf_request",
    ),
    path("console/mdf/funds/", views.console_mdf_funds, name="console_mdf_funds"),
    path("console/mdf/funds/<uuid:fund_uuid>/", views.console_mdf_fund, name="console_mdf_fund"),
    path("console/mdf/payouts/", views.console_mdf_payouts, name="console_mdf_payouts"),
    path("console/mdf/roi/", campaign_views.console_mdf_roi, name="console_mdf_roi"),
    # Through-partner marketing
    path(
        "console/campaigns/templates/",
        campaign_views.console_campaign_templates,
        name="console_campaign_templates",
    ),
    path(
        "console/campaigns/templates/new/",
        campaign_views.console_campaign_template_new,
        name="console_campaign_template_new",
    ),
    path(
        "console/campaigns/templates/<uuid:campaign_template_uuid>/",
        campaign_views.console_campaign_template,
        name="console_campaign_template",
    ),
    path("console/campaigns/", campaign_views.console_campaigns, name="console_campaigns"),
    path(
        "console/campaigns/<uuid:campaign_uuid>/",
        campaign_views.console_campaign,
        name="console_campaign",
    ),
    path("portal/campaigns/", campaign_views.portal_campaigns, name="portal_campaigns"),
    path(
        "portal/campaigns/new/<uuid:campaign_template_uuid>/",
        campaign_views.portal_campaign_new,
        name="portal_campaign_new",
    ),
    path(
        "portal/campaigns/preview/",
        campaign_views.portal_campaign_preview,
        name="portal_campaign_preview",
    ),
    path(
        "portal/campaigns/<uuid:campaign_uuid>/",
        campaign_views.portal_campaign,
        name="portal_campaign",
    ),
    path("portal/leads/", campaign_views.portal_leads, name="portal_leads"),
    path("portal/leads/<uuid:lead_uuid>/", campaign_views.portal_lead, name="portal_lead"),
    # Public, on the tenant's host
    path("lp/<str:key>/", campaign_views.campaign_landing, name="campaign_landing"),
    path("lp/<str:key>/thanks/", campaign_views.campaign_thanks, name="campaign_thanks"),
    path("lp/<str:key>/logo/", campaign_views.campaign_logo, name="campaign_logo"),
    path("go/<str:link_key>/", campaign_views.campaign_link, name="campaign_link"),
    path(
        "campaigns/unsubscribe/<str:campaign_unsubscribe_token>/",
        campaign_views.campaign_unsubscribe,
        name="campaign_unsubscribe",
    ),
]
