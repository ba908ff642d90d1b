from django.urls import path

from ..views import organization as views
from ..views import partner_users

urlpatterns = [
    path("console/partners/", views.console_partner_list, name="console_partner_list"),
    path(
        "console/partners/<uuid:partner_uuid>/",
        views.console_partner_detail,
        name="console_partner_detail",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/edit/",
        views.console_partner_edit,
        name="console_partner_edit",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/transition/",
        views.console_partner_transition,
        name="console_partner_transition",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/users/",
        partner_users.console_partner_users,
        name="console_partner_users",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/contacts/",
        views.console_partner_contact_add,
        name="console_partner_contact_add",
    ),
    path(
        "console/partners/<uuid:partner_uuid>/contacts/<uuid:contact_uuid>/remove/",
        views.console_partner_contact_remove,
        name="console_partner_contact_remove",
    ),
    path("console/recruitment/", views.console_recruitment, name="console_recruitment"),
    path("portal/organization/", views.portal_organization, name="portal_organization"),
    path(
        "portal/organization/edit/",
        views.portal_organization_edit,
        name="portal_organization_edit",
    ),
    path("apply/", views.partner_apply, name="partner_apply"),
    path("apply/thanks/", views.partner_apply_done, name="partner_apply_done"),
]
