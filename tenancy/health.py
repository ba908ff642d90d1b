"""What /healthz reports: database, broker, cache and the scheduler's last heartbeat.

Everyone gets the overall status; the details (including error text, which can name hosts and
users) only platform operators, DEBUG runs, or a request with PRM_HEALTH_TOKEN.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

# The project's Celery app (prm/celery.py sets it as current): tenancy does not import prm.
from celery import current_app as app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from .access import is_platform_operator
from .tasks import HEARTBEAT_CACHE_KEY

logger = logging.getLogger(__name__)


def may_see_health_details(request) -> bool:
    if settings.DEBUG:
        return True
    token = settings.PRM_HEALTH_TOKEN
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and secrets.compare_digest(given.strip(), token):
        return True
    return is_platform_operator(request)


def _failed(component: str, exc: Exception) -> dict:
    logger.warning("healthz: %s check failed: %s", component, exc)
    return {"ok": False, "error": str(exc)[:200]}


def _check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported as text
        return _failed("database", exc)


def _check_broker() -> dict:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            return {"ok": True, "transport": conn.transport_cls}
    except Exception as exc:  # noqa: BLE001
        return _failed("broker", exc)


def _check_cache() -> dict:
    try:
        cache.set("prm:healthz", "1", 10)
        return {"ok": cache.get("prm:healthz") == "1"}
    except Exception as exc:  # noqa: BLE001
        return _failed("cache", exc)


def _scheduler() -> dict:
    last = cache.get(HEARTBEAT_CACHE_KEY)
    if not last:
        return {"last_heartbeat": None, "age_seconds": None}
    age = (timezone.now() - datetime.fromisoformat(last)).total_seconds()
    return {"last_heartbeat": last, "age_seconds": round(age, 1)}


def health_report() -> dict:
    database, broker, cache_status = _check_database(), _check_broker(), _check_cache()
    return {
        "ok": database["ok"] and broker["ok"] and cache_status["ok"],
        "database": database,
        "broker": broker,
        "cache": cache_status,
        # Informational: beat fires a heartbeat every 15 s that a worker records.
        "scheduler": _scheduler(),
    }
