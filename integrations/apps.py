from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self) -> None:
        from tenancy.audit import register_audit_labels
        from tenancy.events import events_committed

        from . import crm, relay  # noqa: F401  (crm registers its relay channel)

        # After a transaction that emitted events commits: hand them to the relay.
        events_committed.register(relay.on_events_committed, key="integrations.relay")
        register_audit_labels(
            actions={
                "integrations.webhook_created": _("added a webhook endpoint"),
                "integrations.webhook_changed": _("changed a webhook endpoint"),
                "integrations.webhook_deleted": _("deleted a webhook endpoint"),
                "integrations.webhook_secret_rotated": _("rotated a webhook signing secret"),
                "integrations.webhook_enabled": _("enabled a webhook endpoint again"),
                "integrations.webhook_replayed": _("sent a webhook delivery again"),
                "integrations.crm_connected": _("connected a CRM"),
                "integrations.crm_changed": _("changed a CRM connection"),
                "integrations.crm_deleted": _("deleted a CRM connection"),
            },
            fields={
                "crm": _("CRM"),
                "demo_mode": _("Demo mode"),
                "settings": _("Settings"),
                "field_mapping": _("Field mapping"),
                "stage_mapping": _("Stage mapping"),
            },
        )

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area("integrations", "integrations", _("Integrations: webhooks"))
