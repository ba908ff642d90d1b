from django.urls import path

from ..views import agreement_send
from ..views import agreements as views

urlpatterns = [
    path("console/onboarding/agreements/", views.console_agreements, name="console_agreements"),
    path(
        "console/onboarding/agreements/preview/",
        views.console_agreement_preview,
        name="console_agreement_preview",
    ),
    path(
        "console/onboarding/agreements/<uuid:template_uuid>/",
        views.console_agreement_detail,
        name="console_agreement_detail",
    ),
    path(
        "console/onboarding/agreements/<uuid:template_uuid>/publish/",
        views.console_agreement_publish,
        name="console_agreement_publish",
    ),
    path(
        "console/onboarding/signatures/<uuid:signature_uuid>/pdf",
        views.console_signature_pdf,
        name="console_signature_pdf",
    ),
    path(
        "console/onboarding/signatures/<uuid:signature_uuid>/contract",
        views.console_signature_contract,
        name="console_signature_contract",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/agreement/",
        views.console_partner_agreement,
        name="console_partner_agreement",
    ),
    path("portal/agreement/", views.portal_agreement, name="portal_agreement"),
    path(
        "console/partners/<uuid:partner_uuid>/agreement/send/",
        agreement_send.console_partner_agreement_send,
        name="console_partner_agreement_send",
    ),
    path(
        "portal/agreement/<uuid:signature_uuid>/pdf",
        views.portal_signature_pdf,
        name="portal_signature_pdf",
    ),
    path(
        "portal/agreement/<uuid:signature_uuid>/contract",
        views.portal_signature_contract,
        name="portal_signature_contract",
    ),
]
