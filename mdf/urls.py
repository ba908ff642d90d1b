from django.urls import path

from . import views

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
]
