from rest_framework.throttling import SimpleRateThrottle

from ..network import client_ip
from .authentication import ApiKeyPrincipal


class PrincipalRateThrottle(SimpleRateThrottle):
    """One budget per API key, per user, or per client IP for anonymous calls."""

    scope = "principal"

    def get_ident(self, request) -> str:
        # The one client-IP rule (PRM_TRUSTED_PROXY_COUNT), not DRF's NUM_PROXIES.
        return client_ip(request) or ""

    def get_cache_key(self, request, view):
        user = request.user
        if isinstance(user, ApiKeyPrincipal):
            ident = f"key-{user.key.pk}"
        elif user is not None and user.is_authenticated:
            ident = f"user-{user.pk}"
        else:
            ident = f"ip-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
