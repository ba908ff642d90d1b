from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "tenancy"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_delete, post_save

        from . import checks  # noqa: F401  (registers system checks)
        from .common.aggregates import register_sqlite_functions
        from .hosts import forget_tenant_hosts
        from .middleware import mark_session_host
        from .models import Tenant

        connection_created.connect(register_sqlite_functions, dispatch_uid="prm.sqlite_functions")
        user_logged_in.connect(mark_session_host, dispatch_uid="prm.mark_session_host")
        # The tenant-by-host cache (hosts.py) forgets on every change of a tenant, including the
        # platform admin's and a deletion.
        for signal in (post_save, post_delete):
            signal.connect(forget_tenant_hosts, sender=Tenant, dispatch_uid="prm.tenant_hosts")

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area(
            "tenancy", "account", _("Account: people, invitations, API keys, audit log")
        )
