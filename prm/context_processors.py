from tenancy import access
from tenancy.navigation import menu

from . import navigation


def menus(request):
    """The console and portal menus, cut down to what the actor's role may open."""
    if getattr(request, "tenant", None) is None or not hasattr(request, "user"):
        return {}
    actor = access.get_actor(request)
    return {
        "console_menu": menu(actor, navigation.CONSOLE),
        "portal_menu": menu(actor, navigation.PORTAL),
    }
