"""The bell in the navbar: `{% load notification_tags %}{% notification_bell %}`."""

from django import template

register = template.Library()

# Beyond this the badge says "99+": the exact number helps nobody.
BADGE_MAX = 99


@register.inclusion_tag("components/notification_bell.html", takes_context=True)
def notification_bell(context, oob: bool = False) -> dict:
    """The signed-in member's unread count on a tenant's host: one query per page, none
    elsewhere (the platform host, anonymous visitors). `oob=True`: the bell as an htmx
    out-of-band swap, for a response that changed the count."""
    from tenancy.context import get_current_tenant
    from tenancy.notifications import unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if get_current_tenant() is None or user is None or not user.is_authenticated:
        return {"show": False}
    unread = getattr(request, "_prm_unread_notifications", None)
    if unread is None:
        unread = request._prm_unread_notifications = unread_count(user)
    return {
        "show": True,
        "unread": unread,
        "badge_max": BADGE_MAX,
        "oob": oob,
        "current_url_name": context.get("current_url_name"),
    }
