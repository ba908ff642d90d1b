"""pytest: Postgres + Redis when DATABASE_URL/REDIS_URL are set (CI), else the embedded default."""

import os

from .base import *  # noqa: F403
from .base import DATABASES

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Unit tests run tasks in-process at enqueue time; tests/test_worker.py uses a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# Test receivers listen on 127.0.0.1.
WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
# WhiteNoise's manifest storage needs collectstatic; tests do not.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not :memory:, so a worker subprocess in task tests can open the same database.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

# Tests clear the cache between tests; parallel runs (pytest-xdist) give each worker its own
# cache, so one worker's clear never resets another's rate-limit counters mid-test.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
if REDIS_URL:  # noqa: F405
    from urllib.parse import urlsplit, urlunsplit

    # Off the broker's Redis database (FLUSHDB): gw0 → 14, gw1 → 13, ... A second suite running at
    # the same time on the same Redis sets PRM_TEST_CACHE_DB (e.g. 6: gw0 → 6, gw1 → 5, ...).
    _base = int(os.environ.get("PRM_TEST_CACHE_DB", "14"))
    _db = _base - (int(_worker) if _worker.isdigit() else 0) % 8
    _parts = urlsplit(REDIS_URL)  # noqa: F405
    CACHES["default"]["LOCATION"] = urlunsplit(_parts._replace(path=f"/{_db}"))  # noqa: F405
else:
    # The embedded file cache: one directory per worker.
    CACHES["default"]["LOCATION"] = str(DATA_DIR / f"cache-test-{_worker}")  # noqa: F405

STATIC_ROOT = DATA_DIR / "test-static"  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
