from django.urls import path

from . import views, views_notifications
from .views import CONSOLE, PORTAL

urlpatterns = [
    path("", views.home, name="home"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("console/", views.console_home, name="console_home"),
    path("console/audit/", views.audit_log, name="console_audit_log"),
    path("console/mail/", views.mail_log, name="console_mail_log"),
    path("console/mail/<uuid:email_uuid>/", views.mail_detail, name="console_mail_detail"),
    path(
        "console/mail/<uuid:email_uuid>/send-again/",
        views.mail_send_again,
        name="console_mail_send_again",
    ),
    path(
        "console/mail/<uuid:email_uuid>/mark-sent/",
        views.mail_mark_sent,
        name="console_mail_mark_sent",
    ),
    path("portal/", views.portal_home, name="portal_home"),
    path("notifications/", views_notifications.notification_list, name="notifications"),
    path(
        "notifications/preferences/",
        views_notifications.notification_preferences,
        name="notification_preferences",
    ),
    path(
        "notifications/read-all/",
        views_notifications.notifications_read_all,
        name="notifications_read_all",
    ),
    path(
        "notifications/<uuid:notification_uuid>/read/",
        views_notifications.notification_read,
        name="notification_read",
    ),
    path(
        "notifications/<uuid:notification_uuid>/open/",
        views_notifications.notification_open,
        name="notification_open",
    ),
]

for surface in (CONSOLE, PORTAL):
    kwargs = {"surface": surface}
    urlpatterns += [
        path(f"{surface}/team/", views.team, kwargs, name=f"{surface}_team"),
        path(
            f"{surface}/team/<uuid:membership_uuid>/",
            views.team_member,
            kwargs,
            name=f"{surface}_team_member",
        ),
        path(
            f"{surface}/invitations/<uuid:invitation_uuid>/revoke/",
            views.invitation_revoke,
            kwargs,
            name=f"{surface}_invitation_revoke",
        ),
        path(f"{surface}/api-keys/", views.api_keys, kwargs, name=f"{surface}_api_keys"),
        path(
            f"{surface}/api-keys/<uuid:key_uuid>/revoke/",
            views.api_key_revoke,
            kwargs,
            name=f"{surface}_api_key_revoke",
        ),
    ]
