from django.urls import path

from ..views import decisions as views

urlpatterns = [
    path("console/deals/queue/", views.console_deal_queue, name="console_deal_queue"),
    path("console/deals/<uuid:deal_uuid>/", views.console_deal_detail, name="console_deal_detail"),
    path(
        "console/deals/<uuid:deal_uuid>/approve/",
        views.console_deal_decide,
        {"decision": "approve"},
        name="console_deal_approve",
    ),
    path(
        "console/deals/<uuid:deal_uuid>/reject/",
        views.console_deal_decide,
        {"decision": "reject"},
        name="console_deal_reject",
    ),
    path("portal/deals/<uuid:deal_uuid>/", views.portal_deal_detail, name="portal_deal_detail"),
    path(
        "portal/deals/<uuid:deal_uuid>/submit/",
        views.portal_deal_submit,
        name="portal_deal_submit",
    ),
]
