from django.apps import AppConfig


class LmsConfig(AppConfig):
    name = "enablement.lms"
    label = "lms"
    verbose_name = "Learning (courses, quizzes, paths)"
