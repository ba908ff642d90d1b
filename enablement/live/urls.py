from django.urls import path

from . import views

urlpatterns = [
    path("portal/sessions/", views.portal_sessions, name="portal_sessions"),
    path(
        "portal/sessions/<uuid:session_uuid>/register/",
        views.portal_session_register,
        name="portal_session_register",
    ),
    path(
        "portal/sessions/<uuid:session_uuid>/cancel/",
        views.portal_session_cancel,
        name="portal_session_cancel",
    ),
    path("console/sessions/", views.console_sessions, name="console_sessions"),
    path(
        "console/sessions/<uuid:session_uuid>/",
        views.console_session_detail,
        name="console_session_detail",
    ),
    path(
        "console/sessions/<uuid:session_uuid>/attendance/",
        views.console_session_attendance,
        name="console_session_attendance",
    ),
]
