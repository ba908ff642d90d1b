"""The round trip against a real CRM: BottleCRM (PyPI `django-crm`), installed, migrated,
seeded and started on loopback by scripts/bottlecrm/run.sh (its own Python 3.12 venv, on the
local PostgreSQL). Approving a registration creates the opportunity in BottleCRM with the
partner on it, once; a stage change made in BottleCRM reaches the partner's pipeline (the
first pull reads every open opportunity, the next ones BottleCRM's activity feed)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
from django.urls import reverse

from dealreg.models import SalesStage
from dealreg.tests.test_conflicts import approve, ready, register
from integrations import connections, crm, relay
from integrations.models import CrmLink, CrmSyncLog
from tenancy.context import tenant_context

ROOT = Path(__file__).resolve().parent.parent
PYTHON312 = ("/root/.pyenv/versions/3.12.1/bin/python3.12", "python3.12")


def _python312() -> str | None:
    if os.environ.get("BOTTLECRM_PYTHON"):
        return os.environ["BOTTLECRM_PYTHON"]
    for candidate in PYTHON312:
        if Path(candidate).is_file() or shutil.which(candidate):
            return candidate
    return None


@pytest.fixture(scope="session")
def bottlecrm() -> dict:
    """BottleCRM's credentials (run.sh: idempotent; waits for a run already under way)."""
    if _python312() is None and not os.environ.get("CI"):
        pytest.skip("BottleCRM needs Python >= 3.12 (set BOTTLECRM_PYTHON)")
    return _run_sh(timeout=900)


def _run_sh(*, timeout: int, **env: str) -> dict:
    """scripts/bottlecrm/run.sh (with `env` added): its credentials, once it has answered."""
    done = subprocess.run(
        [str(ROOT / "scripts/bottlecrm/run.sh")],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


class BottleCrm:
    """What a salesperson does in BottleCRM, through its API."""

    def __init__(self, credentials: dict):
        self.base = credentials["base_url"]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {credentials['pat']}"

    def opportunities_for(self, deal_uuid) -> list[dict]:
        answer = self.session.get(
            f"{self.base}/api/opportunities/", params={"cf_prm_deal_id": str(deal_uuid)}
        )
        answer.raise_for_status()
        rows = answer.json()["opportunities"]
        return [row for row in rows if row["custom_fields"].get("prm_deal_id") == str(deal_uuid)]

    def change(self, opportunity_id: str, **fields) -> None:
        answer = self.session.patch(f"{self.base}/api/opportunities/{opportunity_id}/", json=fields)
        assert answer.status_code == 200, answer.text


@pytest.mark.django_db
def test_approval_reaches_bottlecrm_and_its_stage_comes_back_to_the_partner(
    acme, bottlecrm, django_capture_on_commit_callbacks
):
    crm_api = BottleCrm(bottlecrm)
    with tenant_context(acme.tenant):
        connection = connections.connection_create(
            actor=acme.actor(acme.admin), kind="bottlecrm", name="BottleCRM", settings={}
        )
        connection = connections.connection_update(
            actor=acme.actor(acme.admin),
            connection=connection,
            name="BottleCRM",
            settings={"base_url": bottlecrm["base_url"], "api_token": bottlecrm["pat"]},
            field_mapping={},
            stage_mapping={},
            is_active=True,
            demo_mode=False,
        )
        ok, message = connections.connection_test(
            actor=acme.actor(acme.admin), connection=connection
        )
    assert ok, message
    run = uuid.uuid4().hex[:8]  # BottleCRM's names are unique per organisation
    ready(acme)
    deal = register(
        acme,
        acme.partner_sales,
        customer_name=f"Roundtrip Customer {run}",
        customer_domain=f"rt-{run}.example",
    )
    deal = approve(acme, deal)
    relay.sweep()

    # In BottleCRM: one opportunity, on the customer's account, with the partner on it.
    [opportunity] = crm_api.opportunities_for(deal.uuid)
    custom = opportunity["custom_fields"]
    assert custom["prm_partner"] == acme.partner.name
    assert custom["prm_partner_id"] == str(acme.partner.uuid)
    assert custom["prm_registration_status"] == "Approved"
    assert opportunity["account"]["name"] == f"Roundtrip Customer {run}"
    assert opportunity["lead_source"] == "partner"
    assert opportunity["stage"] == "QUALIFICATION"
    assert CrmLink.objects.unscoped().get(connection=connection).opportunity_id == opportunity["id"]
    # Upserted once: sending the open registrations again finds it linked; a lost link finds
    # it by its registration id instead of making a second one.
    with tenant_context(acme.tenant), django_capture_on_commit_callbacks(execute=True):
        assert crm.backfill(connection) == 0
        CrmLink.objects.filter(connection=connection).delete()
        assert crm.backfill(connection) == 1
    assert len(crm_api.opportunities_for(deal.uuid)) == 1
    assert CrmLink.objects.unscoped().get(connection=connection).opportunity_id == opportunity["id"]

    # Sales move it on in BottleCRM; the pull brings it back (first pull: every open one).
    crm_api.change(
        opportunity["id"],
        stage="NEGOTIATION",
        description="Legal review with the customer",
        custom_fields={"prm_next_step": "Send the order form"},
    )
    connection.refresh_from_db()
    assert crm.pull(connection) == 1
    deal.refresh_from_db()
    assert deal.sales_stage == SalesStage.NEGOTIATION
    assert deal.next_step == "Send the order form"
    assert deal.manager_notes == "Legal review with the customer"
    assert deal.status == "approved"
    page = acme.client(acme.partner_sales).get(reverse("portal_deals"))
    text = page.content.decode()
    assert "Negotiation" in text and "Send the order form" in text

    # A later change comes through the activity feed (the cursor is set now).
    crm_api.change(opportunity["id"], stage="PROPOSAL")
    connection.refresh_from_db()
    assert connection.pull_cursor.get("since")
    assert crm.pull(connection) == 1
    deal.refresh_from_db()
    assert deal.sales_stage == SalesStage.PROPOSAL
    log = CrmSyncLog.objects.unscoped().filter(connection=connection)
    assert not log.filter(ok=False).exists(), list(log.values_list("message", flat=True))


def test_the_running_server_leaves_run_sh_free_for_the_next_caller(bottlecrm):
    """CI starts run.sh in the background and the suite runs it again: the server it started
    must not inherit the lock, or the second run waits for as long as the server lives."""
    home = Path(os.environ.get("BOTTLECRM_HOME", ROOT / "var/bottlecrm"))
    free = subprocess.run(["flock", "-n", str(home / ".run.lock"), "true"], check=False)
    assert free.returncode == 0
    again = _run_sh(timeout=120, BOTTLECRM_LOCK_WAIT="60")
    assert again["base_url"] == bottlecrm["base_url"]
