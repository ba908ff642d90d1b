from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    name = "onboarding"
    verbose_name = "Onboarding (agreements, workflow, cadence, progress)"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import signals

        # Keep a strong reference: the receiver lives in this module.
        user_logged_in.connect(signals.record_portal_login, dispatch_uid="onboarding_portal_login")

        from partners.services.organization import profile_saved
        from tenancy.services import invitation_created, membership_changed

        from .services import progress

        # "Profile complete" when a save fills the last profile field; "team invited" when an
        # invitation into a partner organisation is created.
        profile_saved.register(progress.profile_saved)
        invitation_created.register(progress.invitation_created)

        # Users who accept their invitation after the workflow ran join the 101 course too.
        membership_changed.register(signals.enrol_new_member_in_101)

        _register_audit_labels()

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area("onboarding", "onboarding", _("Onboarding"))


def _register_audit_labels() -> None:
    """Words for the workflow steps' details on the console (tenancy.audit)."""
    from django.utils.translation import gettext_lazy as _

    from partners.models import LifecycleState
    from tenancy.audit import register_audit_labels

    from .services.cadence import merge_fields_text

    register_audit_labels(
        fields={
            "link": _("Sign-in link"),
            "source": _("Found as"),
            "reused": _("Existing invitation reused"),
            "invited": _("Invited"),
            "skipped": _("Skipped"),
            "enrolled": _("Enrolled"),
            "paths": _("Learning paths"),
            "path": _("Learning path"),
            "course": _("Course"),
            "emails": _("Emails"),
            "note": _("Note"),
            "from": _("From"),
            "to": _("To"),
            "state": _("Lifecycle state"),
        },
        choices={
            "link": {"invitation": _("Invitation to set a password"), "login": _("Portal login")},
            "source": {"signer": _("Agreement signer")},
            "from": LifecycleState,
            "to": LifecycleState,
            "state": LifecycleState,
        },
        list_fields=("invited", "skipped", "enrolled", "paths", "emails"),
        formatters={"subject": merge_fields_text},
    )
