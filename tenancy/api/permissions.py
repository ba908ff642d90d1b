from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .. import access
from ..access import Perm
from . import scopes


class IsTenantMember(BasePermission):
    """The default: an authenticated member (or key) of the current tenant, MFA satisfied.

    Views narrow further with `required_perms`; writes are checked by the services they call.
    Both go through the access module like every other decision.
    """

    def has_permission(self, request, view) -> bool:
        actor = access.get_actor(request)
        if actor.tenant is None or not actor.is_member:
            return False
        access.require_mfa(actor)
        if actor.api_key is not None:
            needed = scopes.needed_for(request, view)
            if needed is not None and not scopes.allows(actor.api_key.scopes, needed):
                raise PermissionDenied(
                    _("This API key may not do this: it lacks the scope %(scope)s.")
                    % {"scope": needed}
                )
        perms: tuple[Perm, ...] = tuple(getattr(view, "required_perms", ()))
        for perm in perms:
            access.require(actor, perm)
        return True
