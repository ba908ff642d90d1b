"""Enablement's menu items (learning, live sessions, certifications, assets, playbook);
prm/navigation.py places them in the console and portal menus."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavGroup, NavItem

CONSOLE_ENABLEMENT = NavGroup(
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
)

PORTAL_LEARNING = NavGroup(
    _("Learning"),
    "mortarboard",
    (
        NavItem(
            "portal_learning",
            _("My learning"),
            "mortarboard",
            Perm.PORTAL_VIEW,
            _("Your learning path, progress and what to do next."),
            ("portal_courses", "portal_course", "portal_module", "portal_quiz_attempt"),
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
)

PORTAL_SALES_TOOLS = NavGroup(
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
)
