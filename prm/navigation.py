"""The console and portal menus, assembled from the items each app declares in its navigation.py
(the top floor is the one place that knows every app)."""

from django.utils.translation import gettext_lazy as _

from analytics import navigation as analytics
from dealreg import navigation as dealreg
from enablement import navigation as enablement
from integrations import navigation as integrations
from mdf import navigation as mdf
from onboarding import navigation as onboarding
from partners import navigation as partners
from tenancy import navigation as tenancy
from tenancy.navigation import NavGroup, NavItem

CONSOLE: tuple[NavItem | NavGroup, ...] = (
    tenancy.CONSOLE_HOME,
    analytics.CONSOLE_ANALYTICS,
    partners.CONSOLE_PARTNERS,
    partners.CONSOLE_PROGRAM,
    onboarding.CONSOLE_ONBOARDING,
    dealreg.CONSOLE_DEALS,
    mdf.CONSOLE_MDF,
    enablement.CONSOLE_ENABLEMENT,
    NavGroup(
        tenancy.CONSOLE_ADMINISTRATION.label,
        tenancy.CONSOLE_ADMINISTRATION.icon,
        (
            tenancy.CONSOLE_TEAM,
            tenancy.CONSOLE_API_KEYS,
            integrations.CONSOLE_WEBHOOKS,
            integrations.CONSOLE_CRM,
            tenancy.CONSOLE_MAIL_LOG,
            tenancy.CONSOLE_AUDIT_LOG,
        ),
    ),
)

PORTAL: tuple[NavItem | NavGroup, ...] = (
    tenancy.PORTAL_HOME,
    dealreg.PORTAL_DEALS,
    mdf.PORTAL_MDF,
    enablement.PORTAL_LEARNING,
    enablement.PORTAL_SALES_TOOLS,
    partners.PORTAL_PROGRAM,
    NavGroup(
        _("Organization"),
        "building",
        (
            onboarding.PORTAL_GETTING_STARTED,
            onboarding.PORTAL_AGREEMENT,
            onboarding.PORTAL_SETUP_WIZARD,
            partners.PORTAL_ORGANIZATION,
            tenancy.PORTAL_TEAM,
            tenancy.PORTAL_API_KEYS,
            integrations.PORTAL_WEBHOOKS,
        ),
    ),
)
