from django.urls import path

from ..views import lockview as views

urlpatterns = [
    path("console/deal-locks/", views.console_deal_locks, name="console_deal_locks"),
    path(
        "console/accounts/<uuid:account_uuid>/",
        views.console_account_detail,
        name="console_account_detail",
    ),
    path(
        "console/accounts/<uuid:account_uuid>/claim/",
        views.console_account_claim,
        name="console_account_claim",
    ),
]
