from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "enablement.lms"
    label = "lms"
    verbose_name = "Learning (courses, quizzes, paths)"

    def ready(self) -> None:
        # Learning paths follow a partner user's role. When tenancy offers a membership hook,
        # subscribe to it (tenancy must not import enablement; the dependency points this way).
        from tenancy import services as tenancy_services

        from . import services

        register = getattr(tenancy_services, "register_membership_changed_hook", None)
        if register is not None:
            register(services.membership_role_changed)
