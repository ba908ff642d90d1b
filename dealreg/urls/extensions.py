from django.urls import path

from ..views import extensions as views

urlpatterns = [
    path(
        "portal/deals/<uuid:deal_uuid>/extension/",
        views.portal_deal_extension_request,
        name="portal_deal_extension_request",
    ),
    path(
        "console/deals/extensions/",
        views.console_deal_extensions,
        name="console_deal_extensions",
    ),
    path(
        "console/deals/extensions/<uuid:extension_uuid>/decide/",
        views.console_extension_decide,
        name="console_extension_decide",
    ),
]
