from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "enablement.lms"
    label = "lms"
    verbose_name = "Learning (courses, quizzes, paths)"

    def ready(self) -> None:
        # Learning paths follow a partner user's role: subscribe to tenancy's membership hook
        # (tenancy must not import enablement; the dependency points this way).
        from tenancy.services import membership_changed

        from . import services

        membership_changed.register(services.membership_role_changed)

        from django.utils.translation import gettext_lazy as _

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes), for all of enablement.
        register_api_area(
            "enablement", "learning", _("Learning: courses, sessions, certifications, assets")
        )
