from django.urls import path

from ..views import currency
from ..views import program as views

urlpatterns = [
    path("console/program/", views.console_program, name="console_program"),
    path(
        "console/program/exchange-rates/",
        currency.console_exchange_rates,
        name="console_exchange_rates",
    ),
    path(
        "console/program/exchange-rates/<uuid:rate_uuid>/delete/",
        currency.console_exchange_rate_delete,
        name="console_exchange_rate_delete",
    ),
]
