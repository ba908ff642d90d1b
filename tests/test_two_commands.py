"""The README's promise, end to end: `make run` on the embedded default (SQLite, no Redis) sets up,
seeds the demo and serves it with a worker and a scheduler; every demo role can log in.

Slow (a fresh database, migrations, the demo seed): marked `smoke`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from prm.demo import PARTNERS
from tenancy.demo import (
    DEMO_PASSWORD,
    DEMO_TOTP_SECRET,
    MULTI_VENDOR_USER,
    PARTNER_STAFF_FULL,
    STAFF,
)
from tenancy.tests.factories import totp_code

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.smoke


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def running_app(tmp_path_factory):
    port = free_port()
    data_dir = tmp_path_factory.mktemp("make-run")
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL")
    }
    env.update(PRM_DATA_DIR=str(data_dir), PORT=str(port))
    log = (data_dir / "make-run.log").open("w")
    process = subprocess.Popen(
        ["make", "run", f"PORT={port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Setup migrates a fresh database and seeds the demo: minutes on a busy machine.
        deadline = time.monotonic() + 600
        while True:
            assert process.poll() is None, (data_dir / "make-run.log").read_text()[-5000:]
            try:
                if requests.get(f"{base}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "make run did not serve within 10 minutes"
            time.sleep(1)
        yield base, port, data_dir, process
    finally:
        # The last test stops `make run` itself; this is only for a run that failed earlier.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        for pid in processes_of(data_dir):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()


def processes_of(data_dir: Path) -> list[int]:
    """Every live process started for this data folder (web, worker, beat, make, the manager)."""
    marker = f"PRM_DATA_DIR={data_dir}".encode()
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        with contextlib.suppress(OSError):
            if marker in environ.read_bytes().split(b"\0"):
                pids.append(int(environ.parent.name))
    return pids


def wait_until_stopped(data_dir: Path, timeout: float) -> float:
    started = time.monotonic()
    while processes_of(data_dir) and time.monotonic() - started < timeout:
        time.sleep(0.5)
    return time.monotonic() - started


def assert_clean_stop(log_text: str, received: str) -> None:
    """Every process stopped on the manager's SIGTERM: none needed SIGKILL, none logged an error
    on the way out, and the worker finished its warm shutdown (exit code 0)."""
    stop = log_text[log_text.index(f"{received} received") :]
    assert "SIGKILL" not in stop, stop
    assert "ERROR/" not in stop and "Traceback" not in stop, stop
    assert "worker.1 stopped (rc=0)" in stop, stop
    assert "beat.1 stopped" in stop and "web.1 stopped" in stop, stop


def log_in(base: str, host: str, email: str, totp: str | None = None) -> requests.Response:
    session = requests.Session()
    headers = {"Host": host}
    page = session.get(f"{base}/accounts/login/", headers=headers, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers=headers,
        timeout=10,
        allow_redirects=False,
    )
    assert response.status_code == 302, f"{email}: login answered {response.status_code}"
    location = response.headers["Location"]
    if totp:
        assert "/accounts/2fa/authenticate/" in location, f"{email}: no MFA step"
        page = session.get(f"{base}{location}", headers=headers, timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        response = session.post(
            f"{base}{location}",
            data={"code": totp_code(totp), "csrfmiddlewaretoken": token},
            headers=headers,
            timeout=10,
            allow_redirects=False,
        )
        assert response.status_code == 302, f"{email}: MFA answered {response.status_code}"
    return session.get(f"{base}/", headers=headers, timeout=10)


def demo_logins():
    """One login per role per tenant (plus the two-vendor partner). allauth allows 30 logins a
    minute per IP, so logging in all ~35 demo users from one test would be rate-limited."""
    for slug in ("acme", "globex"):
        for local, _, role in STAFF:
            yield (
                slug,
                f"{local}@{slug}.example",
                "console",
                DEMO_TOTP_SECRET if role == "program_admin" else None,
            )
        full_team_domain = next(domain for _, _, domain, full in PARTNERS[slug] if full)
        for local, _ in PARTNER_STAFF_FULL:
            yield slug, f"{local}@{full_team_domain}.example", "portal", None
        yield slug, MULTI_VENDOR_USER[0], "portal", None


def test_make_run_serves_both_tenants_and_every_role_logs_in(running_app):
    base, port, _, _ = running_app
    seen = set()
    for slug, email, surface, totp in demo_logins():
        response = log_in(base, f"{slug}.localhost:{port}", email, totp)
        assert response.status_code == 200, f"{email} on {slug}: {response.status_code}"
        # Executives land on the KPI dashboard, their console home.
        home = ("/console/analytics/", "/console/") if surface == "console" else ("/portal/",)
        assert response.url.endswith(home), f"{email} on {slug} landed on {response.url}"
        seen.add((slug, surface))
    assert seen == {
        ("acme", "console"),
        ("acme", "portal"),
        ("globex", "console"),
        ("globex", "portal"),
    }


def test_make_run_runs_worker_and_scheduler_on_the_embedded_default(running_app):
    base, _, data_dir, _ = running_app
    deadline = time.monotonic() + 90
    while True:
        body = requests.get(f"{base}/healthz", timeout=5).json()
        if body["scheduler"]["last_heartbeat"]:
            break
        assert time.monotonic() < deadline, f"beat/worker never fired the heartbeat: {body}"
        time.sleep(2)
    assert body["database"]["vendor"] == "sqlite" and body["broker"]["transport"] != "redis"
    assert (data_dir / "prm.sqlite3").exists()


def test_make_run_shows_sent_mail_in_the_dev_mailbox(running_app):
    base, port, data_dir, _ = running_app
    mail_dir = data_dir / "mail"
    mail_dir.mkdir(exist_ok=True)
    # Named as the newest mail (the mailbox lists the latest 100; the demo sends many).
    (mail_dir / "29991231T000000000000-smoke.eml").write_text(
        "Subject: Smoke hello\nTo: a@b.test\n\nbody\n"
    )
    host = {"Host": f"localhost:{port}"}
    # Reset and invitation links are in there: anonymous visitors and tenant users are sent away.
    anonymous = requests.get(
        f"{base}/dev/mailbox/", headers=host, timeout=10, allow_redirects=False
    )
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous.headers["Location"]
    assert "Smoke hello" not in anonymous.text
    email = "ops@platform.example"
    subprocess.run(
        [".venv/bin/python", "manage.py", "platform_operator", email, "--password-stdin"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")},
            "DJANGO_SETTINGS_MODULE": "prm.settings.local",
            "PRM_DATA_DIR": str(data_dir),
        },
        input=DEMO_PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", headers=host, timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{base}/accounts/login/",
        data={"login": email, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers=host,
        timeout=10,
    )
    page = session.get(f"{base}/dev/mailbox/", headers=host, timeout=10)
    assert page.status_code == 200 and "Smoke hello" in page.text


# --- Stopping stops all (these run last: the first one stops `make run`) ------------------------


def test_sigterm_to_make_stops_web_worker_and_beat(running_app):
    """SIGTERM to make alone (what a supervisor or `kill <pid>` sends): make passes it to the
    process manager it exec'd, which stops every process and waits for them; no orphan."""
    _, _, data_dir, process = running_app
    assert len(processes_of(data_dir)) >= 4  # make/manager, web, worker, beat
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert wait_until_stopped(data_dir, timeout=10) < 10, processes_of(data_dir)
    assert_clean_stop((data_dir / "make-run.log").read_text(), "SIGTERM")


@pytest.mark.parametrize(
    "sig,received",
    [(signal.SIGINT, "SIGINT"), (signal.SIGHUP, "SIGTERM")],
    ids=["ctrl-c", "terminal-closed"],
)
def test_ctrl_c_or_a_closed_terminal_stops_everything(running_app, sig, received):
    """What a terminal sends to the whole foreground process group: Ctrl-C (SIGINT) or, when it
    is closed, SIGHUP. Web, worker and beat run in sessions of their own, so only the manager
    can stop them. Runs the manager of `make run` on its already set-up data folder."""
    _, _, data_dir, process = running_app
    assert process.poll() is not None  # `make run` was stopped by the test above
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "MAKEFLAGS", "MAKELEVEL")
    }
    env.update(
        PRM_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="prm.settings.local",
        PYTHONUNBUFFERED="1",
    )
    log_path = data_dir / f"devstack-{signal.Signals(sig).name}.log"
    with log_path.open("w") as log:
        manager = subprocess.Popen(
            [".venv/bin/python", "scripts/devstack.py", "start", "-f", "Procfile.dev"]
            + ["--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while "celery@" not in log_path.read_text() or " ready." not in log_path.read_text():
                assert manager.poll() is None, log_path.read_text()[-3000:]
                assert time.monotonic() < deadline, "the worker never became ready"
                time.sleep(1)
            os.killpg(manager.pid, sig)
            manager.wait(timeout=60)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(manager.pid, signal.SIGKILL)
    assert wait_until_stopped(data_dir, timeout=10) < 10, processes_of(data_dir)
    assert_clean_stop(log_path.read_text(), received)
