"""Analytics' menu items; prm/navigation.py places them in the console menu."""

from django.utils.translation import gettext_lazy as _

from tenancy.access import Perm
from tenancy.navigation import NavItem

CONSOLE_ANALYTICS = NavItem(
    "console_analytics",
    _("KPIs"),
    "graph-up",
    Perm.ANALYTICS_VIEW,
    _("Revenue, ROPI, sourced and influenced revenue, capability: by tier, region and partner."),
    (
        "console_analytics_partner",
        "console_analytics_definitions",
        "console_analytics_reports",
        "console_analytics_settings",
        "console_analytics_churn",
        "console_analytics_psat",
        "console_analytics_customers",
    ),
)
