"""Production readiness: `check --deploy` is clean, /healthz reports real dependencies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tenancy.tasks import heartbeat

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "prm.settings.production",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-0123456789",
    "ALLOWED_HOSTS": ".prm.example.com",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/prm"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
}


def test_check_deploy_passes_with_production_settings(tmp_path):
    env = {**os.environ, **PRODUCTION_ENV, "PRM_DATA_DIR": str(tmp_path)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # a test-only switch (browser tests)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, **PRODUCTION_ENV, "PRM_DATA_DIR": str(tmp_path)}
    del env["SECRET_KEY"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_healthz_is_green_on_the_configured_services(client):
    heartbeat()  # what beat + worker do every 15 s
    response = client.get("/healthz", HTTP_HOST="127.0.0.1")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] and body["database"]["ok"] and body["broker"]["ok"] and body["cache"]["ok"]
    assert body["scheduler"]["age_seconds"] is not None and body["scheduler"]["age_seconds"] < 60
    if os.environ.get("CI"):
        # CI runs on the production shape: Postgres and Redis, not the embedded default.
        assert body["database"]["vendor"] == "postgresql"
        assert body["broker"]["transport"] == "redis"
    assert settings.DATABASES["default"]["ENGINE"]


@pytest.mark.django_db
def test_healthz_reports_a_dead_broker_as_503(client, settings):
    from prm.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        response = client.get("/healthz", HTTP_HOST="127.0.0.1")
    finally:
        app.conf.broker_url = original
    assert response.status_code == 503 and response.json()["broker"]["ok"] is False
