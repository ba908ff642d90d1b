"""The partner program's menu items; prm/navigation.py places them in the console and portal
menus."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavGroup, NavItem

CONSOLE_PARTNERS = NavGroup(
    _("Partners"),
    "buildings",
    (
        NavItem(
            "console_partner_list",
            _("Partner directory"),
            "buildings",
            Perm.PARTNERS_VIEW,
            _("Filter, sort and export your partners; profiles and history."),
            (
                "console_partner_detail",
                "console_partner_edit",
                "console_partner_tier",
                "console_partner_revenue",
                "console_partner_users",
            ),
        ),
        NavItem(
            "console_recruitment",
            _("Recruitment"),
            "person-plus",
            Perm.PARTNERS_VIEW,
            _("Prospects and applicants ranked by fit; approve or reject."),
        ),
        NavItem(
            "console_application_list",
            _("Applications"),
            "inbox",
            Perm.PARTNERS_VIEW,
            _("New applications: yours to decide, the unassigned queue, routing rules."),
            (
                "console_application_detail",
                "console_application_routing",
                "console_application_routing_rule",
            ),
        ),
        NavItem(
            "console_partner_import",
            _("Import partners"),
            "upload",
            Perm.PROGRAM_MANAGE,
            _("Bring partners and contacts in from CSV or Excel."),
            ("console_partner_import_detail",),
        ),
    ),
)

CONSOLE_PROGRAM = NavItem(
    "console_program",
    _("Program"),
    "diagram-3",
    Perm.PROGRAM_VIEW,
    _("Ideal Partner Profile, tiers, rules of engagement, strategy."),
    (
        "console_ipp",
        "console_ipp_criterion",
        "console_tiers",
        "console_tier_create",
        "console_tier_edit",
        "console_tier_proposals",
        "console_roe",
        "console_roe_detail",
        "console_strategy",
        "console_gtm_play",
        "console_gtm_play_create",
        "console_financial_model",
    ),
)

# The program hub's sections (console_program shows them as cards).
PROGRAM = (
    NavItem(
        "console_ipp",
        _("Ideal Partner Profile"),
        "bullseye",
        Perm.PROGRAM_VIEW,
        _("Weighted firmographic, technical and cultural fit criteria."),
    ),
    NavItem(
        "console_tiers",
        _("Tiers"),
        "award",
        Perm.PROGRAM_VIEW,
        _("Requirements, benefits and program settings."),
    ),
    NavItem(
        "console_exchange_rates",
        _("Exchange rates"),
        "currency-exchange",
        Perm.PROGRAM_VIEW,
        _("What other currencies are worth in the program currency."),
    ),
    NavItem(
        "console_tier_proposals",
        _("Tier proposals"),
        "arrow-down-up",
        Perm.TIERS_DECIDE,
        _("Upgrades and downgrades waiting for a decision."),
    ),
    NavItem(
        "console_roe",
        _("Rules of engagement"),
        "file-earmark-text",
        Perm.PROGRAM_VIEW,
        _("Versions, publishing and who accepted."),
    ),
    NavItem(
        "console_strategy",
        _("Channel strategy"),
        "signpost-split",
        Perm.PROGRAM_VIEW,
        _("GTM plays and the channel SWOT."),
    ),
    NavItem(
        "console_financial_model",
        _("Financial model"),
        "calculator",
        Perm.PROGRAM_VIEW,
        _("Projected economics and the planned-ROPI baseline."),
    ),
)

PORTAL_PROGRAM = NavGroup(
    _("Our program"),
    "award",
    (
        NavItem(
            "portal_tier",
            _("Our tier"),
            "award",
            Perm.PORTAL_VIEW,
            _("Your tier, its benefits and what you need for the next one."),
        ),
        NavItem(
            "portal_roe",
            _("Rules of engagement"),
            "file-earmark-text",
            Perm.PORTAL_VIEW,
            _("How deal ownership and conflicts work."),
        ),
    ),
)

PORTAL_ORGANIZATION = NavItem(
    "portal_organization",
    _("My organization"),
    "building",
    Perm.PORTAL_VIEW,
    _("Your organization's profile and people."),
    ("portal_organization_edit",),
)
