"""MDF's and through-partner marketing's menu items; prm/navigation.py places them in the
console and portal menus."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavGroup, NavItem

# One top-level group (the console's menu bar must fit 1366 px): funds and campaigns together.
CONSOLE_MDF = NavGroup(
    _("Marketing"),
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
        NavItem(
            "console_mdf_roi",
            _("MDF ROI"),
            "graph-up-arrow",
            Perm.MDF_VIEW,
            _("Spend against leads, pipeline and won revenue, by activity, partner and type."),
        ),
        NavItem(
            "console_campaign_templates",
            _("Campaign templates"),
            "collection",
            Perm.CAMPAIGNS_VIEW,
            _("Emails, landing pages and social posts partners co-brand."),
            ("console_campaign_template", "console_campaign_template_new"),
        ),
        NavItem(
            "console_campaigns",
            _("Partner campaigns"),
            "broadcast",
            Perm.CAMPAIGNS_VIEW,
            _("Every co-branded campaign with its leads and clicks."),
            ("console_campaign",),
        ),
    ),
)

PORTAL_MDF = NavGroup(
    _("Marketing"),
    "megaphone",
    (
        NavItem(
            "portal_mdf",
            _("Marketing funds"),
            "cash-coin",
            Perm.MDF_VIEW,
            _("Your MDF balance, requests and claims."),
            ("portal_mdf_request", "portal_mdf_request_new"),
        ),
        NavItem(
            "portal_campaigns",
            _("Campaigns"),
            "broadcast",
            Perm.CAMPAIGNS_VIEW,
            _("Co-brand a ready-made campaign and launch it; your live campaigns."),
            ("portal_campaign", "portal_campaign_new"),
        ),
        NavItem(
            "portal_leads",
            _("Leads"),
            "person-lines-fill",
            Perm.CAMPAIGNS_VIEW,
            _("People your campaigns brought in; register them as deals."),
            ("portal_lead",),
        ),
    ),
)
