from django.apps import AppConfig


class CertsConfig(AppConfig):
    name = "enablement.certs"
    label = "certs"
    verbose_name = "Certifications"

    def ready(self) -> None:
        from enablement.lms import services as lms_services  # noqa: F401  (may not exist yet)
        from partners.services.tiers import register_certification_provider

        from . import services

        register_certification_provider(services.certification_facts)
        register = getattr(lms_services, "register_quiz_passed_hook", None)
        if register is not None:
            register(services.on_quiz_passed)
