from . import access
from .access import Perm


def tenancy(request):
    """Tenant branding and the flags the actor's role allows (menus: prm.context_processors)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not hasattr(request, "user"):
        return {"tenant": tenant}
    actor = access.get_actor(request)
    match = getattr(request, "resolver_match", None)
    return {
        "tenant": tenant,
        "actor": actor,
        "current_url_name": match.url_name if match else None,
        "nav": {
            "console": actor.has(Perm.CONSOLE_VIEW),
            "portal": actor.has(Perm.PORTAL_VIEW),
            "staff": actor.has(Perm.STAFF_VIEW),
            "partner_team": actor.has(Perm.PARTNER_TEAM_MANAGE),
        },
    }
