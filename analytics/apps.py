from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from tenancy.audit import register_audit_labels
        from tenancy.roles import Role
        from tenancy.views import console_home_pages, console_home_panels, portal_home_panels

        from . import home, views_psat

        # An executive's console opens on the KPI dashboard, not a grid of links.
        console_home_pages.register("console_analytics", key=Role.EXECUTIVE)
        # A channel manager's home: their partners' health; a partner's: its scorecard.
        console_home_panels.register(home.manager_panel, key="analytics.partner_health")
        portal_home_panels.register(views_psat.survey_panel, key="analytics.survey")
        portal_home_panels.register(home.scorecard_panel, key="analytics.scorecard")
        register_audit_labels(
            actions={
                "analytics.refresh_requested": _("asked for the KPI figures to be refreshed"),
                "analytics.settings_changed": _("changed how the program is measured"),
                "analytics.touch_recorded": _("recorded a partner's part in a deal"),
                "analytics.touch_removed": _("removed a partner's part in a deal"),
                "analytics.report_requested": _("asked for a board report"),
                "analytics.churn_retrain_requested": _("asked for the churn model to be retrained"),
                "analytics.psat_opened": _("sent a partner satisfaction survey"),
                "analytics.psat_closed": _("closed a partner satisfaction survey"),
                "analytics.direct_revenue_loaded": _("loaded direct revenue"),
            }
        )

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area("analytics", "analytics", _("Analytics"))
