from django.urls import path

from . import views

urlpatterns = [
    # Portal
    path("portal/learning/", views.portal_learning, name="portal_learning"),
    path("portal/search/", views.portal_search, name="portal_search"),
    path("portal/learning/courses/", views.portal_courses, name="portal_courses"),
    path(
        "portal/learning/courses/<uuid:course_uuid>/",
        views.portal_course,
        name="portal_course",
    ),
    path(
        "portal/learning/courses/<uuid:course_uuid>/enroll/",
        views.portal_course_enroll,
        name="portal_course_enroll",
    ),
    path(
        "portal/learning/courses/<uuid:course_uuid>/modules/<uuid:module_uuid>/",
        views.portal_module,
        name="portal_module",
    ),
    path(
        "portal/learning/courses/<uuid:course_uuid>/modules/<uuid:module_uuid>/file/",
        views.portal_module_file,
        name="portal_module_file",
    ),
    path(
        "portal/learning/courses/<uuid:course_uuid>/modules/<uuid:module_uuid>/complete/",
        views.portal_module_complete,
        name="portal_module_complete",
    ),
    path(
        "portal/learning/courses/<uuid:course_uuid>/modules/<uuid:module_uuid>/quiz/start/",
        views.portal_quiz_start,
        name="portal_quiz_start",
    ),
    path(
        "portal/learning/attempts/<uuid:attempt_uuid>/",
        views.portal_quiz_attempt,
        name="portal_quiz_attempt",
    ),
    # Console
    path("console/learning/", views.console_learning, name="console_learning"),
    path("console/learning/paths/", views.console_learning_path, name="console_learning_path"),
    path(
        "console/learning/courses/<uuid:course_uuid>/",
        views.console_course,
        name="console_learning_course",
    ),
    path(
        "console/learning/courses/<uuid:course_uuid>/status/",
        views.console_course_status,
        name="console_learning_course_status",
    ),
    path(
        "console/learning/courses/<uuid:course_uuid>/modules/<uuid:module_uuid>/",
        views.console_module,
        name="console_learning_module",
    ),
    path(
        "console/learning/courses/<uuid:course_uuid>/modules/<uuid:module_uuid>/file/",
        views.console_module_file,
        name="console_learning_module_file",
    ),
]
