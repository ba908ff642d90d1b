from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "enablement.live"
    label = "live"
    verbose_name = "Live training sessions"

    def ready(self) -> None:
        # Tiers (partners, a floor below) show a partner's training hours: courses + attended
        # sessions, computed once in enablement.training (this app is the one that knows both).
        from enablement.training import partner_training_seconds
        from partners.services.tiers import training_hours_provider

        training_hours_provider.register(partner_training_seconds)
