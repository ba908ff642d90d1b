from django.urls import path

from ..views import imports as views

urlpatterns = [
    path("console/partners/import/", views.console_partner_import, name="console_partner_import"),
    path(
        "console/partners/import/template/",
        views.console_partner_import_template,
        name="console_partner_import_template",
    ),
    path(
        "console/partners/import/<uuid:import_uuid>/",
        views.console_partner_import_detail,
        name="console_partner_import_detail",
    ),
    path("console/partners/export/", views.console_partner_export, name="console_partner_export"),
]
