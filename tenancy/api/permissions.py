from rest_framework.permissions import BasePermission

from .. import access
from ..access import Perm


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
        perms: tuple[Perm, ...] = tuple(getattr(view, "required_perms", ()))
        for perm in perms:
            access.require(actor, perm)
        return True
