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


@dataclass(frozen=True)
class NavGroup:
    """A dropdown of items; shown when the role may open at least one of them."""

    label: str | Promise
    icon: str
    children: tuple[NavItem, ...]

    def is_active(self, current: str | None) -> bool:
        return any(child.is_active(current) for child in self.children)


CONSOLE = (
    NavItem("console_home", _("Dashboard"), "speedometer2", Perm.CONSOLE_VIEW),
    NavGroup(
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
                "console_partner_import",
                _("Import partners"),
                "upload",
                Perm.PROGRAM_MANAGE,
                _("Bring partners and contacts in from CSV or Excel."),
                ("console_partner_import_detail",),
            ),
        ),
    ),
    NavItem(
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
    ),
    NavGroup(
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
    ),
    NavGroup(
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
    ),
    NavGroup(
        _("Enablement"),
        "mortarboard",
        (
            NavItem(
                "console_learning",
                _("Learning"),
                "mortarboard",
                Perm.PROGRAM_VIEW,
                _("Courses, quizzes and learning paths per role."),
                (
                    "console_learning_course",
                    "console_learning_module",
                    "console_learning_path",
                ),
            ),
            NavItem(
                "console_sessions",
                _("Live sessions"),
                "camera-video",
                Perm.PROGRAM_VIEW,
                _("Instructor-led sessions, rosters and attendance."),
                ("console_session_detail",),
            ),
            NavItem(
                "console_certifications",
                _("Certifications"),
                "patch-check",
                Perm.PROGRAM_VIEW,
                _("Tracks, levels and who holds them."),
                ("console_certification_new", "console_certification_edit"),
            ),
            NavItem(
                "console_assets",
                _("Asset library"),
                "folder2-open",
                Perm.PROGRAM_VIEW,
                _("Battle cards, case studies, decks; visibility and downloads."),
                ("console_asset_detail",),
            ),
            NavItem(
                "console_playbook",
                _("Sales playbook"),
                "signpost",
                Perm.PROGRAM_VIEW,
                _("Stages of the sales motion and what to use in each."),
                ("console_playbook_stage",),
            ),
        ),
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
        "console_mail_log",
        _("Mail log"),
        "envelope",
        Perm.PARTNERS_MANAGE,
        _("Every email sent: status, attempts, errors; send again."),
        ("console_mail_detail",),
    ),
    NavItem(
        "console_audit_log",
        _("Audit log"),
        "journal-text",
        Perm.AUDIT_VIEW,
        _("Who changed what, when and from where."),
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

PORTAL = (
    NavItem("portal_home", _("Home"), "house", Perm.PORTAL_VIEW),
    NavGroup(
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
    ),
    NavGroup(
        _("Learning"),
        "mortarboard",
        (
            NavItem(
                "portal_learning",
                _("My learning"),
                "mortarboard",
                Perm.PORTAL_VIEW,
                _("Your learning path, progress and what to do next."),
                ("portal_course", "portal_module", "portal_quiz_attempt"),
            ),
            NavItem(
                "portal_sessions",
                _("Live sessions"),
                "camera-video",
                Perm.PORTAL_VIEW,
                _("Upcoming instructor-led sessions; register or cancel."),
            ),
            NavItem(
                "portal_certifications",
                _("Certifications"),
                "patch-check",
                Perm.PORTAL_VIEW,
                _("Your certifications, certificates and what to earn next."),
            ),
        ),
    ),
    NavGroup(
        _("Sales tools"),
        "briefcase",
        (
            NavItem(
                "portal_assets",
                _("Asset library"),
                "folder2-open",
                Perm.PORTAL_VIEW,
                _("Battle cards, case studies and decks for your role."),
                ("portal_asset_detail",),
            ),
            NavItem(
                "portal_playbook",
                _("Sales playbook"),
                "signpost",
                Perm.PORTAL_VIEW,
                _("What to do and use at each stage of a deal."),
            ),
            NavItem(
                "portal_search",
                _("Search"),
                "search",
                Perm.PORTAL_VIEW,
                _("Find courses and assets."),
            ),
        ),
    ),
    NavGroup(
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
    ),
    NavGroup(
        _("Organization"),
        "building",
        (
            NavItem(
                "portal_onboarding",
                _("Getting started"),
                "list-check",
                Perm.PORTAL_VIEW,
                _("Your onboarding checklist: what is done and what is next."),
            ),
            NavItem(
                "portal_agreement",
                _("Partner agreement"),
                "pen",
                Perm.PORTAL_VIEW,
                _("The agreement your organization signed, as PDF."),
            ),
            NavItem(
                "portal_setup_wizard",
                _("Setup wizard"),
                "magic",
                Perm.PARTNER_PROFILE_EDIT,
                _("Complete your company profile step by step."),
                ("portal_setup_wizard_step",),
            ),
            NavItem(
                "portal_organization",
                _("My organization"),
                "building",
                Perm.PORTAL_VIEW,
                _("Your organization's profile and people."),
                ("portal_organization_edit",),
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
        ),
    ),
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
