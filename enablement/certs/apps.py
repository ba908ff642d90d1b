from django.apps import AppConfig


class CertsConfig(AppConfig):
    name = "enablement.certs"
    label = "certs"
    verbose_name = "Certifications"

    def ready(self) -> None:
        from enablement.lms.selectors import attempt_outcomes
        from enablement.lms.services import quiz_passed
        from partners.services.tiers import certification_provider

        from . import selectors, services

        certification_provider.register(services.certification_facts)
        quiz_passed.register(services.on_quiz_passed)
        attempt_outcomes.register(selectors.attempt_outcome)
