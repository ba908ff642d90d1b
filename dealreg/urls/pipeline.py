from django.urls import path

from ..views import pipeline as views

# NOTE: `portal_deals` moved here from views/registration.py (the lead removes the old route);
# this module is listed before `registration` in urls/__init__.py so this view answers.
urlpatterns = [
    path("portal/deals/", views.portal_deals, name="portal_deals"),
    path("portal/deals/board/", views.portal_deal_board, name="portal_deal_board"),
    path(
        "portal/deals/<uuid:deal_uuid>/outcome/",
        views.portal_deal_outcome,
        name="portal_deal_outcome",
    ),
    path(
        "console/deals/<uuid:deal_uuid>/pipeline/",
        views.console_deal_pipeline,
        name="console_deal_pipeline",
    ),
]
