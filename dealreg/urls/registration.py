from django.urls import path

from ..views import registration as views

urlpatterns = [
    path("portal/deals/register/", views.portal_deal_register, name="portal_deal_register"),
    path("console/deals/", views.console_deals, name="console_deals"),
]
