from django.urls import path

from ..views import rules as views

urlpatterns = [
    path("console/deals/rules/", views.console_deal_rules, name="console_deal_rules"),
    path("deal-registration-rules/", views.deal_rules_public, name="deal_rules_public"),
]
