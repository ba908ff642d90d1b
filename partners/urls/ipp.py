from django.urls import path

from ..views import ipp as views

urlpatterns = [
    path("console/program/ipp/", views.console_ipp, name="console_ipp"),
    path(
        "console/program/ipp/form-fields/",
        views.console_ipp_criterion_form,
        name="console_ipp_criterion_form",
    ),
    path("console/program/ipp/preview/", views.console_ipp_preview, name="console_ipp_preview"),
    path(
        "console/program/ipp/criteria/<uuid:criterion_uuid>/",
        views.console_ipp_criterion,
        name="console_ipp_criterion",
    ),
    path(
        "console/program/ipp/criteria/<uuid:criterion_uuid>/delete/",
        views.console_ipp_criterion_delete,
        name="console_ipp_criterion_delete",
    ),
    path(
        "console/program/ipp/criteria/<uuid:criterion_uuid>/move/",
        views.console_ipp_criterion_move,
        name="console_ipp_criterion_move",
    ),
]
