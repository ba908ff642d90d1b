from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from .network import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join a tenant by invitation (or, later, the partner application form).
        return False

    def get_client_ip(self, request) -> str:
        """Login and reset rate limits count per client, not per proxy: the same rule as ours
        (ALLAUTH_TRUSTED_PROXY_COUNT is set from the same value, for allauth code that reads it)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip
