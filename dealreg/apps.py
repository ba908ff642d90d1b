from django.apps import AppConfig


class DealregConfig(AppConfig):
    name = "dealreg"
    verbose_name = "Deal registration"

    def ready(self) -> None:
        # Onboarding cannot import deal registration (we depend on it): tell it where the
        # "first deal registered" milestone comes from.
        from onboarding.models import MilestoneKey
        from onboarding.services.progress import register_milestone_source

        from .selectors.registration import first_deal_at

        register_milestone_source(MilestoneKey.FIRST_DEAL, first_deal_at)
