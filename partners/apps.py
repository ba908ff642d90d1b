from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        from .services import tiers  # noqa: F401  (declares the certification provider registry)
