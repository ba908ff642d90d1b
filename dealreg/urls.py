from django.urls import path

from . import views

urlpatterns = [
    path("portal/deals/", views.portal_deals, name="portal_deals"),
    path("portal/deals/register/", views.portal_deal_register, name="portal_deal_register"),
    path("console/deals/", views.console_deals, name="console_deals"),
]
