from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "enablement.live"
    label = "live"
    verbose_name = "Live training sessions"
