from django.urls import path

from ..views import organization as views

urlpatterns = [
    path("console/partners/", views.console_partner_list, name="console_partner_list"),
    path(
        "console/partners/<uuid:partner_uuid>/",
        views.console_partner_detail,
        name="console_partner_detail",
    ),
    path("portal/organization/", views.portal_organization, name="portal_organization"),
]
