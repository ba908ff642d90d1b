from django.urls import path

from ..views import program as views

urlpatterns = [
    path("console/program/", views.console_program, name="console_program"),
]
