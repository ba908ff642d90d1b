from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .. import services
from ..context import get_current_tenant, set_current_tenant


class ApiKeyPrincipal:
    """request.user for a call made with an API key: authenticated, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __init__(self, key):
        self.key = key

    def __str__(self) -> str:
        return f"API key {self.key.name}"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer prm_<prefix>_<secret>`. The key names its tenant: at a tenant's host
    only that tenant's keys work; at a platform host the key's tenant becomes the current one."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] != self.keyword:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        key = services.api_key_authenticate(header[1])
        if key is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        host_tenant = get_current_tenant()
        if host_tenant is not None and host_tenant.pk != key.tenant_id:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked API key."))
        if host_tenant is None:
            # Reset by TenantMiddleware's token when the request ends.
            set_current_tenant(key.tenant)
            request._request.tenant = key.tenant
        return ApiKeyPrincipal(key), key

    def authenticate_header(self, request) -> str:
        return self.keyword


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "tenancy.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A tenant or partner-organisation API key: prm_<prefix>_<secret>.",
        }
