"""Production readiness: the production settings refuse to start half-configured, `check --deploy`
is clean on a full configuration and names every embedded default left in place, /healthz
reports real dependencies (details to operators only), and errors reach someone."""

from __future__ import annotations

import json
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
    "PRM_BASE_DOMAIN": "prm.example.com",
}
# Variables of the calling shell that would change what the subprocess sees.
SHELL_ONLY = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # a test-only switch (browser tests)
    "SENTRY_DSN",
    "ADMINS",
    "PRM_HEALTH_TOKEN",
    "PRM_TRUSTED_PROXY_COUNT",
)


def run(args, tmp_path, *, drop=(), **overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, **PRODUCTION_ENV, "PRM_DATA_DIR": str(tmp_path), **overrides}
    for name in (*SHELL_ONLY, *drop):
        if name not in overrides:
            env.pop(name, None)
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --- Production refuses to start half-configured -----------------------------------------------


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "name", ["DATABASE_URL", "REDIS_URL", "PRM_BASE_DOMAIN", "SECRET_KEY", "EMAIL_URL"]
)
def test_production_refuses_to_start_without_each_required_variable(tmp_path, name):
    for missing in ({}, {name: " "}):  # unset, then set but blank
        result = run(["manage.py", "check"], tmp_path, drop=[name], **missing)
        assert result.returncode != 0
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("django.core.exceptions.ImproperlyConfigured") and name in last
        assert [n for n in PRODUCTION_ENV if n in last.split(": ")[-1]] == [name]
    # Nothing started on the embedded default meanwhile (no SQLite file, no broker folders).
    assert not (tmp_path / "prm.sqlite3").exists() and not (tmp_path / "broker").exists()


def test_production_names_every_missing_variable_at_once(tmp_path):
    result = run(["manage.py", "check"], tmp_path, drop=["REDIS_URL", "EMAIL_URL"])
    last = result.stderr.strip().splitlines()[-1]
    assert result.returncode != 0 and "REDIS_URL" in last and "EMAIL_URL" in last


def test_production_refuses_sqlite(tmp_path):
    result = run(["manage.py", "check"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode != 0 and "DATABASE_URL must point at PostgreSQL" in result.stderr


def test_check_deploy_names_every_embedded_default_left_in_place(tmp_path):
    """The local settings are what `make run` uses; `check --deploy` must not call them fine."""
    result = run(
        ["manage.py", "check", "--deploy"],
        tmp_path,
        drop=["DATABASE_URL", "REDIS_URL", "EMAIL_URL", "PRM_BASE_DOMAIN", "SECRET_KEY"],
        DJANGO_SETTINGS_MODULE="prm.settings.local",
    )
    assert result.returncode != 0
    for code in ("E101", "E102", "E103", "E104", "E105", "E106"):
        assert f"tenancy.{code}" in result.stderr, result.stderr


# --- /healthz -----------------------------------------------------------------------------------

HEALTH_TOKEN = "health-token-for-monitoring-0123456789"


@pytest.fixture
def health_token(settings):
    settings.PRM_HEALTH_TOKEN = HEALTH_TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {HEALTH_TOKEN}"}


@pytest.fixture
def dead_broker():
    from prm.celery import app

    original = app.conf.broker_url
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    yield
    app.conf.broker_url = original


@pytest.mark.django_db
def test_healthz_is_green_on_the_configured_services(client, health_token):
    heartbeat()  # what beat + worker do every 15 s
    response = client.get("/healthz", HTTP_HOST="127.0.0.1", **health_token)
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
def test_healthz_reports_a_dead_broker_as_503(client, health_token, dead_broker):
    response = client.get("/healthz", HTTP_HOST="127.0.0.1", **health_token)
    assert response.status_code == 503 and response.json()["broker"]["ok"] is False
    assert response.json()["broker"]["error"]


@pytest.mark.django_db
def test_healthz_tells_the_public_the_status_only(client, health_token, dead_broker):
    response = client.get("/healthz", HTTP_HOST="127.0.0.1")
    assert response.status_code == 503 and response.json() == {"ok": False}


@pytest.mark.django_db
def test_healthz_with_a_wrong_token_is_status_only(client, health_token):
    response = client.get("/healthz", HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 200 and response.json() == {"ok": True}


@pytest.mark.django_db
def test_healthz_without_a_configured_token_accepts_none(client, settings):
    settings.PRM_HEALTH_TOKEN = ""
    response = client.get("/healthz", HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION="Bearer ")
    assert response.json() == {"ok": True}


@pytest.mark.django_db
def test_healthz_details_for_a_platform_operator_only(acme, dead_broker):
    from django.test import Client

    from tenancy.tests.factories import UserFactory, enable_totp

    operator = UserFactory(is_staff=True)
    enable_totp(operator)
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(operator)
    assert client.get("/healthz").json()["broker"]["ok"] is False
    # Staff without TOTP, and a tenant's own program admin, see the status alone.
    for user in (UserFactory(is_staff=True), acme.admin):
        other = Client(HTTP_HOST="127.0.0.1")
        other.force_login(user)
        assert other.get("/healthz").json() == {"ok": False}


# --- Errors reach someone -----------------------------------------------------------------------

PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings; "
    "print(repr(settings.ADMINS)); print(settings.PRM_TRUSTED_PROXY_COUNT)"
)


def test_admins_and_trusted_proxies_come_from_the_environment(tmp_path):
    result = run(
        ["-c", PRINT_SETTINGS],
        tmp_path,
        ADMINS="Ops Team <ops@example.com>, oncall@example.com",
        PRM_TRUSTED_PROXY_COUNT="2",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "[('Ops Team', 'ops@example.com'), ('', 'oncall@example.com')]",
        "2",
    ]


def fake_sentry(tmp_path, body: str) -> str:
    package = tmp_path / "fake" / "sentry_sdk"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(body)
    return str(package.parent)


def test_sentry_dsn_without_sentry_sdk_refuses_to_start(tmp_path):
    path = fake_sentry(tmp_path, "raise ImportError('no sentry here')\n")
    dsn = "https://key@o1.ingest.sentry.io/1"
    result = run(["manage.py", "check"], tmp_path, SENTRY_DSN=dsn, PYTHONPATH=path)
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "SENTRY_DSN" in last and "sentry-sdk" in last


SENTRY_RECORDER = """
import json, os

def init(**options):
    with open(os.environ["SENTRY_RECORD"], "w") as out:
        json.dump(options, out)
"""


def test_sentry_is_initialised_only_when_a_dsn_is_set(tmp_path):
    path = fake_sentry(tmp_path, SENTRY_RECORDER)
    record = tmp_path / "sentry.json"
    setup = ["-c", "import django; django.setup()"]
    result = run(setup, tmp_path, PYTHONPATH=path, SENTRY_RECORD=str(record))
    assert result.returncode == 0, result.stderr
    assert not record.exists()
    dsn = "https://key@o1.ingest.sentry.io/1"
    result = run(setup, tmp_path, PYTHONPATH=path, SENTRY_RECORD=str(record), SENTRY_DSN=dsn)
    assert result.returncode == 0, result.stderr
    options = json.loads(record.read_text())
    assert options["dsn"] == dsn and options["send_default_pii"] is False


@pytest.mark.django_db
def test_an_unhandled_error_in_a_request_is_mailed_to_admins(client, settings, mailoutbox):
    from unittest import mock

    settings.ADMINS = [("Ops", "ops@example.com")]
    client.raise_request_exception = False
    with mock.patch("tenancy.health.health_report", side_effect=RuntimeError("disk on fire")):
        response = client.get("/healthz", HTTP_HOST="127.0.0.1")
    assert response.status_code == 500
    assert [m.to for m in mailoutbox] == [["ops@example.com"]]
    assert "disk on fire" in mailoutbox[0].body


def test_a_failing_task_in_a_worker_is_mailed_to_admins(settings, mailoutbox):
    """A Celery worker swaps the root logger's handlers for its own; ADMINS mail is put back."""
    import logging

    from prm.celery import mail_admins_on_errors

    settings.ADMINS = [("Ops", "ops@example.com")]
    worker_root = logging.getLogger("prm-test-worker-root")
    worker_root.handlers = []
    worker_root.propagate = False
    mail_admins_on_errors(logger=worker_root)
    mail_admins_on_errors(logger=worker_root)  # once, however often Celery sets up logging
    worker_root.error("Task dealreg.sweeps.sla_sweep raised unexpected: boom")
    assert [m.to for m in mailoutbox] == [["ops@example.com"]]
    assert "boom" in mailoutbox[0].subject + mailoutbox[0].body
