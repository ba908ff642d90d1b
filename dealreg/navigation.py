"""Deal registration's menu items; prm/navigation.py places them in the console and portal
menus."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavGroup, NavItem

CONSOLE_DEALS = NavGroup(
    _("Deals"),
    "briefcase",
    (
        NavItem(
            "console_deals",
            _("Registrations"),
            "briefcase",
            Perm.DEALS_VIEW,
            _("Deal registrations submitted by partners."),
            ("console_deal_detail",),
        ),
        NavItem(
            "console_deal_queue",
            _("Approval queue"),
            "inbox",
            Perm.DEALS_DECIDE,
            _("Registrations waiting for your decision, with their SLA."),
        ),
        NavItem(
            "console_deal_extensions",
            _("Extension requests"),
            "hourglass-split",
            Perm.DEALS_DECIDE,
            _("Partners asking for more time on a locked deal."),
        ),
        NavItem(
            "console_deal_locks",
            _("Deal locks"),
            "shield-lock",
            Perm.DEAL_LOCKS_VIEW,
            _("Is this account claimed by a partner, and until when?"),
            ("console_account_detail",),
        ),
        NavItem(
            "console_disputes",
            _("Disputes"),
            "exclamation-diamond",
            Perm.DEAL_LOCKS_VIEW,
            _("Conflicts over accounts: comments and decisions."),
            ("console_dispute_detail",),
        ),
        NavItem(
            "console_deal_reports",
            _("Reports"),
            "bar-chart",
            Perm.DEALS_VIEW,
            _("Volume, approval rate, time to decision, SLA breaches, win rate."),
        ),
        NavItem(
            "console_deal_rules",
            _("Registration rules"),
            "card-checklist",
            Perm.PROGRAM_VIEW,
            _("The public rules: required fields, minimum, lifetime, SLA."),
        ),
        NavItem(
            "console_deal_routing",
            _("Approval routing"),
            "signpost-2",
            Perm.PROGRAM_VIEW,
            _("Who approves which registrations, by region and size."),
        ),
    ),
)

PORTAL_DEALS = NavGroup(
    _("Deals"),
    "briefcase",
    (
        NavItem(
            "portal_deals",
            _("My deals"),
            "briefcase",
            Perm.DEALS_VIEW,
            _("Your deal registrations, lock expiry and SLA; CSV export."),
            ("portal_deal_detail",),
        ),
        NavItem(
            "portal_deal_board",
            _("Pipeline board"),
            "kanban",
            Perm.DEALS_VIEW,
            _("Your registrations by status."),
        ),
        NavItem(
            "portal_deal_register",
            _("Register a deal"),
            "plus-circle",
            Perm.DEALS_REGISTER,
            _("Claim a customer opportunity for your organization."),
        ),
        NavItem(
            "portal_disputes",
            _("Disputes"),
            "exclamation-diamond",
            Perm.DEALS_VIEW,
            _("Conflicts over your registrations."),
            ("portal_dispute_detail",),
        ),
    ),
)
