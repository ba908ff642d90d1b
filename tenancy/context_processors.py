from . import access
from .access import Perm


def tenancy(request):
    """Tenant branding and the navigation the actor's role allows."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not hasattr(request, "user"):
        return {"tenant": tenant}
    actor = access.get_actor(request)
    return {
        "tenant": tenant,
        "actor": actor,
        "nav": {
            "console": actor.has(Perm.CONSOLE_VIEW),
            "portal": actor.has(Perm.PORTAL_VIEW),
            "staff": actor.has(Perm.STAFF_VIEW),
            "partners": actor.has(Perm.PARTNERS_VIEW),
            "partner_team": actor.has(Perm.PARTNER_TEAM_MANAGE),
            "api_keys": actor.has(Perm.API_KEYS_MANAGE),
            "audit": actor.has(Perm.AUDIT_VIEW),
        },
    }
