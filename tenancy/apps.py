from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "tenancy"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers system checks)
        from .middleware import mark_session_host

        user_logged_in.connect(mark_session_host, dispatch_uid="prm.mark_session_host")
