from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "enablement.assets"
    label = "assets"
    verbose_name = "Asset library and sales playbook"
