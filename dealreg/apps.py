from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DealregConfig(AppConfig):
    name = "dealreg"
    verbose_name = "Deal registration"

    def ready(self) -> None:
        # Onboarding cannot import deal registration (we depend on it): tell it where the
        # "first deal registered" milestone comes from.
        from onboarding.models import MilestoneKey
        from onboarding.services.progress import milestone_sources

        from .selectors.registration import first_deal_at

        milestone_sources.register(first_deal_at, key=MilestoneKey.FIRST_DEAL)

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area("dealreg", "deals", _("Deal registration"))
