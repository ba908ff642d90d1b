"""The portal's "please accept the rules of engagement" banner.

    {% load roe_tags %}{% roe_pending_banner %}

renders templates/partners/roe/_pending_banner.html for a partner admin who has not accepted the
current version, and nothing for everyone else.
"""

from __future__ import annotations

from django import template

from tenancy import access

from ..selectors.roe import roe_pending_for

register = template.Library()


@register.inclusion_tag("partners/roe/_pending_banner.html", takes_context=True)
def roe_pending_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    pending = None
    if getattr(request, "tenant", None) is not None and user is not None and user.is_authenticated:
        pending = roe_pending_for(access.get_actor(request))
    return {"roe_pending": pending}
