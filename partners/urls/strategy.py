from django.urls import path

from ..views import strategy as views

urlpatterns = [
    path("console/program/strategy/", views.console_strategy, name="console_strategy"),
    path(
        "console/program/strategy/plays/new/",
        views.console_gtm_play_create,
        name="console_gtm_play_create",
    ),
    path(
        "console/program/strategy/plays/<uuid:play_uuid>/",
        views.console_gtm_play,
        name="console_gtm_play",
    ),
    path(
        "console/program/strategy/plays/<uuid:play_uuid>/active/",
        views.console_gtm_play_set_active,
        name="console_gtm_play_set_active",
    ),
    path("console/program/strategy/swot/", views.console_swot_add, name="console_swot_add"),
    path(
        "console/program/strategy/swot/<uuid:item_uuid>/remove/",
        views.console_swot_remove,
        name="console_swot_remove",
    ),
    path(
        "console/program/financial-model/",
        views.console_financial_model,
        name="console_financial_model",
    ),
    path(
        "console/program/financial-model/preview/",
        views.console_financial_model_preview,
        name="console_financial_model_preview",
    ),
]
