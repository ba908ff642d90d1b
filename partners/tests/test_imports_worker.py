"""The import in a real Celery worker process: the status page, polled from another process while
the worker's transaction is still open, shows the progress moving, then the result."""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.models import ImportStatus, PartnerImport, PartnerOrganization
from prm.celery import app as celery_app
from tenancy.context import tenant_context

ROOT = Path(__file__).resolve().parent.parent.parent
ROWS = 5_000


def database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def worker(transactional_db):
    """A `celery worker` on its own queue, sharing the test database, cache, media and broker
    (test settings: the same cache location as this process, which reads the progress)."""
    queue = f"test-imports-{uuid.uuid4().hex[:10]}"
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "task_default_queue")}
    celery_app.conf.update(task_always_eager=False, task_default_queue=queue)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "prm.settings.test",
        "DATABASE_URL": database_url(),
        "PRM_DATA_DIR": str(settings.DATA_DIR),
        "PRM_MEDIA_ROOT": str(settings.MEDIA_ROOT),  # this test's own (root conftest)
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "prm", "worker", "-Q", queue]
        + ["--concurrency", "1", "--pool", "solo", "-l", "info"]
        + ["--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    celery_app.conf.update(saved)
    process.terminate()
    try:
        output, _ = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    print(output[-4000:])  # shown by pytest when a test fails


def big_file() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "website", "partner_type", "contact_name", "contact_email"])
    for n in range(ROWS):
        writer.writerow([f"Worker {n}", f"worker-{n}.example", "msp", "C", f"c@worker-{n}.example"])
    return out.getvalue().encode()


def watch(client, url, until: set[str], timeout=180.0) -> tuple[str, set[int]]:
    """Poll the status partial like the page's htmx does; return the final status and every
    percentage seen on the way."""
    seen: set[int] = set()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        html = client.get(url, HTTP_HX_REQUEST="true").content.decode()
        if match := re.search(r'aria-valuenow="(\d+)"', html):
            seen.add(int(match.group(1)))
        status = next((s for s in until if f'data-status="{s}"' in html), None)
        if status:
            return status, seen
        time.sleep(0.1)
    raise AssertionError(f"still not {until} after {timeout}s; seen {sorted(seen)}")


def test_progress_is_visible_while_the_worker_imports(acme, worker):
    client = acme.client(acme.admin)
    response = client.post(
        reverse("console_partner_import"), {"file": SimpleUploadedFile("big.csv", big_file())}
    )
    assert response.status_code == 302
    url = response["Location"]
    status, seen = watch(client, url, {ImportStatus.READY, ImportStatus.INVALID})
    assert status == ImportStatus.READY

    assert client.post(url).status_code == 302
    status, seen = watch(client, url, {ImportStatus.DONE, ImportStatus.FAILED})
    assert status == ImportStatus.DONE
    # The worker's single transaction was open all along: the page saw it advance.
    assert any(0 < pct < 100 for pct in seen), sorted(seen)
    with tenant_context(acme.tenant):
        partner_import = PartnerImport.objects.get()
        assert (partner_import.created_count, partner_import.progress_pct) == (ROWS, 100)
        assert PartnerOrganization.objects.filter(name__startswith="Worker ").count() == ROWS
