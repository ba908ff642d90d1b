from django.urls import path

from ..views import reports as views

urlpatterns = [
    path("console/deals/reports/", views.console_deal_reports, name="console_deal_reports"),
]
