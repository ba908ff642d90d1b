"""Integrations' menu items; prm/navigation.py places them."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavItem

_CHILDREN = ("{s}_webhook", "{s}_webhook_delivery")
CONSOLE_WEBHOOKS = NavItem(
    "console_webhooks",
    _("Webhooks"),
    "broadcast",
    Perm.API_KEYS_MANAGE,
    _("Tell other systems when deals, partners, certifications or MDF change."),
    tuple(name.format(s="console") for name in _CHILDREN),
)
PORTAL_WEBHOOKS = NavItem(
    "portal_webhooks",
    _("Webhooks"),
    "broadcast",
    Perm.API_KEYS_MANAGE,
    _("Tell your systems when your deals, certifications or MDF change."),
    tuple(name.format(s="portal") for name in _CHILDREN),
)

CONSOLE_CRM = NavItem(
    "console_crm_connections",
    _("CRM sync"),
    "arrow-left-right",
    Perm.API_KEYS_MANAGE,
    _("Approved registrations become CRM opportunities; the CRM's stage comes back."),
    ("console_crm_connection",),
)
