from django.urls import path

from . import views

urlpatterns = [
    path("portal/certifications/", views.portal_certifications, name="portal_certifications"),
    path(
        "portal/certifications/<uuid:award_uuid>/certificate.pdf",
        views.certificate_download,
        name="certification_certificate",
    ),
    path("console/certifications/", views.console_certifications, name="console_certifications"),
    path(
        "console/certifications/new/",
        views.console_certification_edit,
        name="console_certification_new",
    ),
    path(
        "console/certifications/<uuid:certification_uuid>/",
        views.console_certification_edit,
        name="console_certification_edit",
    ),
    path(
        "console/certifications/awards/<uuid:award_uuid>/revoke/",
        views.console_award_revoke,
        name="console_certification_award_revoke",
    ),
    path("verify/<str:code>/", views.certification_verify, name="certification_verify"),
]
