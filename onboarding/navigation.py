"""Onboarding's menu items; prm/navigation.py places them in the console and portal menus."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavGroup, NavItem

CONSOLE_ONBOARDING = NavGroup(
    _("Onboarding"),
    "rocket-takeoff",
    (
        NavItem(
            "console_onboarding_funnel",
            _("Onboarding funnel"),
            "funnel",
            Perm.PARTNERS_VIEW,
            _("Where new partners are between signature and first deal."),
        ),
        NavItem(
            "console_onboarding_runs",
            _("Workflows and mail"),
            "gear-wide-connected",
            Perm.PARTNERS_VIEW,
            _("Onboarding workflows, failed steps and emails to retry."),
            ("console_partner_onboarding",),
        ),
        NavItem(
            "console_agreements",
            _("Partner agreements"),
            "pen",
            Perm.PROGRAM_VIEW,
            _("Agreement versions and who signed them."),
            ("console_agreement_detail", "console_partner_agreement"),
        ),
        NavItem(
            "console_cadence",
            _("30-day cadence"),
            "envelope-paper",
            Perm.PROGRAM_VIEW,
            _("The welcome email series sent in a partner's first month."),
            ("console_cadence_step",),
        ),
        NavItem(
            "console_onboarding_gates",
            _("Benefit gates"),
            "lock",
            Perm.PROGRAM_VIEW,
            _("Which onboarding steps unlock deal registration and MDF."),
        ),
    ),
)

PORTAL_GETTING_STARTED = NavItem(
    "portal_onboarding",
    _("Getting started"),
    "list-check",
    Perm.PORTAL_VIEW,
    _("Your onboarding checklist: what is done and what is next."),
)

PORTAL_AGREEMENT = NavItem(
    "portal_agreement",
    _("Partner agreement"),
    "pen",
    Perm.PORTAL_VIEW,
    _("The agreement your organization signed, as PDF."),
)

PORTAL_SETUP_WIZARD = NavItem(
    "portal_setup_wizard",
    _("Setup wizard"),
    "magic",
    Perm.PARTNER_PROFILE_EDIT,
    _("Complete your company profile step by step."),
    ("portal_setup_wizard_step",),
)
