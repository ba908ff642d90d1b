from django.urls import path

from . import crm_views, views

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

crm = "console/integrations/crm/"
urlpatterns += [
    path(crm, crm_views.connection_list, name="console_crm_connections"),
    path(
        f"{crm}<uuid:connection_uuid>/",
        crm_views.connection_detail,
        name="console_crm_connection",
    ),
    path(
        f"{crm}<uuid:connection_uuid>/<str:action>/",
        crm_views.connection_action,
        name="console_crm_connection_action",
    ),
    # Public (the CRM posts here; the connector checks its signature).
    path(
        "integrations/crm/<uuid:connection_uuid>/inbound/",
        crm_views.inbound,
        name="crm_inbound",
    ),
]
