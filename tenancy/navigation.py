"""Menus as data: the item types, role filtering, and tenancy's own items. Each item shows only
to roles holding its permission; the navbar and the home-page cards both render from here. Every
app declares its items in its own navigation.py; prm/navigation.py assembles the console and
portal menus from them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .access import Actor, Perm


@dataclass(frozen=True)
class NavItem:
    url_name: str
    label: str | Promise
    icon: str  # a bootstrap-icons name
    perm: Perm
    description: str | Promise = ""
    # Other URL names under which this item is the active one (detail pages).
    also_active: tuple[str, ...] = ()

    def is_active(self, current: str | None) -> bool:
        return current == self.url_name or current in self.also_active


@dataclass(frozen=True)
class NavGroup:
    """A dropdown of items; shown when the role may open at least one of them."""

    label: str | Promise
    icon: str
    children: tuple[NavItem, ...]

    def is_active(self, current: str | None) -> bool:
        return any(child.is_active(current) for child in self.children)


# Tenancy's own items (a lower floor never names a higher one's URLs).
CONSOLE_HOME = NavItem("console_home", _("Dashboard"), "speedometer2", Perm.CONSOLE_VIEW)
CONSOLE_TEAM = NavItem(
    "console_team",
    _("Team"),
    "people",
    Perm.STAFF_VIEW,
    _("Staff and partner users, their roles and invitations."),
    ("console_team_member",),
)
CONSOLE_API_KEYS = NavItem(
    "console_api_keys",
    _("API keys"),
    "key",
    Perm.API_KEYS_MANAGE,
    _("Keys for integrations with the REST API."),
)
CONSOLE_MAIL_LOG = NavItem(
    "console_mail_log",
    _("Mail log"),
    "envelope",
    Perm.PARTNERS_MANAGE,
    _("Every email sent: status, attempts, errors; send again."),
    ("console_mail_detail",),
)
CONSOLE_AUDIT_LOG = NavItem(
    "console_audit_log",
    _("Audit log"),
    "journal-text",
    Perm.AUDIT_VIEW,
    _("Who changed what, when and from where."),
)
# Running the tenant's workspace (people, keys, mail, audit): one dropdown, so the console's
# navbar fits a 1366 px window for every role.
CONSOLE_ADMINISTRATION = NavGroup(
    _("Admin"),
    "gear",
    (CONSOLE_TEAM, CONSOLE_API_KEYS, CONSOLE_MAIL_LOG, CONSOLE_AUDIT_LOG),
)
PORTAL_HOME = NavItem("portal_home", _("Home"), "house", Perm.PORTAL_VIEW)
PORTAL_TEAM = NavItem(
    "portal_team",
    _("Team"),
    "people",
    Perm.PARTNER_TEAM_MANAGE,
    _("Invite colleagues and manage their roles."),
    ("portal_team_member",),
)
PORTAL_API_KEYS = NavItem(
    "portal_api_keys",
    _("API keys"),
    "key",
    Perm.API_KEYS_MANAGE,
    _("Keys for integrations with the REST API."),
)


def menu(actor: Actor, items: tuple[NavItem | NavGroup, ...]) -> list[NavItem | NavGroup]:
    """The items the actor may open; a group keeps only its allowed children (or disappears)."""
    visible: list[NavItem | NavGroup] = []
    for item in items:
        if isinstance(item, NavGroup):
            children = tuple(child for child in item.children if actor.has(child.perm))
            if children:
                visible.append(NavGroup(item.label, item.icon, children))
        elif actor.has(item.perm):
            visible.append(item)
    return visible


def flatten(items) -> list[NavItem]:
    """Every item, groups opened up (for pages of cards)."""
    flat: list[NavItem] = []
    for item in items:
        flat.extend(item.children if isinstance(item, NavGroup) else (item,))
    return flat
