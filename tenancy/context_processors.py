from . import access, navigation
from .access import Perm


def tenancy(request):
    """Tenant branding, and the menus and flags the actor's role allows."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or not hasattr(request, "user"):
        return {"tenant": tenant}
    actor = access.get_actor(request)
    match = getattr(request, "resolver_match", None)
    return {
        "tenant": tenant,
        "actor": actor,
        "current_url_name": match.url_name if match else None,
        "console_menu": navigation.menu(actor, navigation.CONSOLE),
        "portal_menu": navigation.menu(actor, navigation.PORTAL),
        "nav": {
            "console": actor.has(Perm.CONSOLE_VIEW),
            "portal": actor.has(Perm.PORTAL_VIEW),
            "staff": actor.has(Perm.STAFF_VIEW),
            "partner_team": actor.has(Perm.PARTNER_TEAM_MANAGE),
        },
    }
