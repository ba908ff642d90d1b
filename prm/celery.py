import logging
import os

from celery import Celery
from celery.signals import after_setup_logger

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "prm.settings.local")

app = Celery("prm")
# The current app of every thread, not only this one: lower layers (tenancy's health check) use
# `celery.current_app` rather than import prm.
app.set_default()
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
def mail_admins_on_errors(logger, **kwargs) -> None:
    """A worker replaces the root logger's handlers (LOGGING's mail_admins among them) with its
    own: put ADMINS mail back, so a task that raises reaches someone (prm/settings/base.py)."""
    from django.utils.log import AdminEmailHandler, RequireDebugFalse

    if not any(isinstance(handler, AdminEmailHandler) for handler in logger.handlers):
        handler = AdminEmailHandler()
        handler.setLevel(logging.ERROR)
        handler.addFilter(RequireDebugFalse())
        logger.addHandler(handler)
