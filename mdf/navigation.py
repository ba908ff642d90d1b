"""MDF's menu items; prm/navigation.py places them in the console and portal menus."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavGroup, NavItem

CONSOLE_MDF = NavGroup(
    _("MDF"),
    "cash-coin",
    (
        NavItem(
            "console_mdf",
            _("MDF board"),
            "kanban",
            Perm.MDF_VIEW,
            _("Requests and claims awaiting a decision; spend against budget."),
        ),
        NavItem(
            "console_mdf_requests",
            _("Fund requests"),
            "list-check",
            Perm.MDF_VIEW,
            _("Every request and claim, with their status."),
            ("console_mdf_request",),
        ),
        NavItem(
            "console_mdf_funds",
            _("Funds and allocations"),
            "piggy-bank",
            Perm.MDF_VIEW,
            _("Budgets per period, allocations per partner, carry-over."),
            ("console_mdf_fund",),
        ),
        NavItem(
            "console_mdf_payouts",
            _("Payouts"),
            "bank",
            Perm.MDF_VIEW,
            _("Payments made on approved claims; accounting export."),
        ),
    ),
)

PORTAL_MDF = NavItem(
    "portal_mdf",
    _("Marketing funds"),
    "cash-coin",
    Perm.MDF_VIEW,
    _("Your MDF balance, requests and claims."),
    ("portal_mdf_request", "portal_mdf_request_new"),
)
