# NOTE: the Celery app must be imported when Django starts, or shared_task binds to a default
# app with no broker and enqueued tasks vanish (shared/STACK-NOTES.md).
from .celery import app as celery_app

__all__ = ("celery_app",)
