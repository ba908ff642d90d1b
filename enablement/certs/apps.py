from django.apps import AppConfig


class CertsConfig(AppConfig):
    name = "enablement.certs"
    label = "certs"
    verbose_name = "Certifications"
