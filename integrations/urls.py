from django.urls import path

from . import views

urlpatterns = []
for surface in ("console", "portal"):
    kwargs = {"surface": surface}
    base = f"{surface}/integrations/webhooks/"
    urlpatterns += [
        path(base, views.webhook_list, kwargs, name=f"{surface}_webhooks"),
        path(f"{base}<uuid:endpoint_uuid>/", views.webhook, kwargs, name=f"{surface}_webhook"),
        path(
            f"{base}<uuid:endpoint_uuid>/<str:action>/",
            views.webhook_action,
            kwargs,
            name=f"{surface}_webhook_action",
        ),
        path(
            f"{base}<uuid:endpoint_uuid>/deliveries/<uuid:delivery_uuid>/",
            views.webhook_delivery,
            kwargs,
            name=f"{surface}_webhook_delivery",
        ),
        path(
            f"{base}<uuid:endpoint_uuid>/deliveries/<uuid:delivery_uuid>/send-again/",
            views.webhook_delivery_replay,
            kwargs,
            name=f"{surface}_webhook_delivery_replay",
        ),
    ]
