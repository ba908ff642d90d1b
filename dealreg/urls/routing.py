from django.urls import path

from ..views import routing as views

urlpatterns = [
    path("console/deals/routing/", views.console_deal_routing, name="console_deal_routing"),
    path(
        "console/deals/routing/<uuid:rule_uuid>/",
        views.console_deal_routing_edit,
        name="console_deal_routing_edit",
    ),
    path(
        "console/deals/routing/<uuid:rule_uuid>/delete/",
        views.console_deal_routing_delete,
        name="console_deal_routing_delete",
    ),
    path(
        "console/deals/routing/<uuid:rule_uuid>/move/",
        views.console_deal_routing_move,
        name="console_deal_routing_move",
    ),
]
