from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Onboarding (agreements, workflow, cadence, progress)"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import signals

        # Keep a strong reference: the receiver lives in this module.
        user_logged_in.connect(signals.record_portal_login, dispatch_uid="onboarding_portal_login")

        from tenancy.services import membership_changed

        from .services import progress  # noqa: F401  (declares the milestone sources registry)

        # Users who accept their invitation after the workflow ran join the 101 course too.
        membership_changed.register(signals.enrol_new_member_in_101)
