"""The console's and the portal's menus, as data. Each item shows only to roles holding its
permission; the navbar and the home-page cards both render from here, and later apps add items."""

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


CONSOLE = (
    NavItem("console_home", _("Dashboard"), "speedometer2", Perm.CONSOLE_VIEW),
    NavItem(
        "console_partner_list",
        _("Partners"),
        "buildings",
        Perm.PARTNERS_VIEW,
        _("The partner organizations in your program."),
        ("console_partner_detail",),
    ),
    NavItem(
        "console_team",
        _("Team"),
        "people",
        Perm.STAFF_VIEW,
        _("Staff and partner users, their roles and invitations."),
        ("console_team_member",),
    ),
    NavItem(
        "console_api_keys",
        _("API keys"),
        "key",
        Perm.API_KEYS_MANAGE,
        _("Keys for integrations with the REST API."),
    ),
    NavItem(
        "console_audit_log",
        _("Audit log"),
        "journal-text",
        Perm.AUDIT_VIEW,
        _("Who changed what, when and from where."),
    ),
)

PORTAL = (
    NavItem("portal_home", _("Home"), "house", Perm.PORTAL_VIEW),
    NavItem(
        "portal_organization",
        _("My organization"),
        "building",
        Perm.PORTAL_VIEW,
        _("Your organization's profile and people."),
    ),
    NavItem(
        "portal_team",
        _("Team"),
        "people",
        Perm.PARTNER_TEAM_MANAGE,
        _("Invite colleagues and manage their roles."),
        ("portal_team_member",),
    ),
    NavItem(
        "portal_api_keys",
        _("API keys"),
        "key",
        Perm.API_KEYS_MANAGE,
        _("Keys for integrations with the REST API."),
    ),
)


def menu(actor: Actor, items: tuple[NavItem, ...]) -> list[NavItem]:
    return [item for item in items if actor.has(item.perm)]
