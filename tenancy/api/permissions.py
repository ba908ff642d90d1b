from rest_framework.permissions import BasePermission

from .. import access
from ..access import Perm


class IsTenantMember(BasePermission):
    """The default: an authenticated member (or key) of the current tenant, MFA satisfied.

    Views narrow further with `required_perms` (read) and `write_perms` (unsafe methods), checked
    through the access module like every other decision.
    """

    def has_permission(self, request, view) -> bool:
        actor = access.get_actor(request)
        if actor.tenant is None or not actor.is_member:
            return False
        perms: tuple[Perm, ...] = tuple(getattr(view, "required_perms", ()))
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            perms += tuple(getattr(view, "write_perms", ()))
        for perm in perms:
            access.require(actor, perm)
        if not actor.mfa_satisfied:
            access.require(actor, Perm.CONSOLE_VIEW)  # raises the MFA message
        return True
