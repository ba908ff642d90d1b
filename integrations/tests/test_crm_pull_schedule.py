"""The pull every CRM_PULL_SECONDS (integrations.crm.pull_due, run by the beat task
`pull_crm_due`): the safety net behind a CRM's notifications. A connection not pulled for
CRM_PULL_SECONDS is pulled, in every tenant; one pulled more recently, a paused or deleted one, or
one of a disabled tenant is not. Connections in demo mode: a pull is simulated in the server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import current_app

from integrations import connections
from integrations.models import CrmConnection, CrmSyncLog
from integrations.tasks import pull_crm_due
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def demo_connection(world, name: str = "BottleCRM (demo)", pulled_ago: float | None = None):
    with tenant_context(world.tenant):
        connection = connections.connection_create(
            actor=world.actor(world.admin),
            kind="bottlecrm",
            name=name,
            settings={},
            demo_mode=True,
        )
    if pulled_ago is not None:
        CrmConnection.objects.unscoped().filter(pk=connection.pk).update(
            last_pulled_at=NOW - timedelta(seconds=pulled_ago), pull_cursor={"rounds": 1}
        )
    return connection


def pulled(connection) -> tuple[datetime | None, dict]:
    row = CrmConnection.objects.unscoped().get(pk=connection.pk)
    return row.last_pulled_at, row.pull_cursor


def beat() -> int:
    """What the beat runs every minute (eager in tests: the pulls run inside)."""
    return pull_crm_due.delay().get()


def test_the_beat_runs_the_due_pull_more_often_than_crm_pull_seconds(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["integrations-crm-pull"]
    assert entry["task"] == pull_crm_due.name
    assert entry["task"] in current_app.tasks
    assert entry["schedule"] <= settings.CRM_PULL_SECONDS


def test_a_connection_never_pulled_is_pulled_in_every_tenant(acme, globex, clock):
    ours = demo_connection(acme)
    theirs = demo_connection(globex)

    assert beat() == 2

    assert pulled(ours) == pulled(theirs) == (NOW, {"rounds": 1})
    assert CrmSyncLog.objects.unscoped().filter(direction="pull", ok=True).count() == 2


def test_a_connection_pulled_longer_ago_than_crm_pull_seconds_is_pulled_a_recent_one_not(
    acme, clock, settings
):
    settings.CRM_PULL_SECONDS = 300
    stale = demo_connection(acme, "Stale", pulled_ago=301)
    recent = demo_connection(acme, "Recent", pulled_ago=299)

    assert beat() == 1

    assert pulled(stale) == (NOW, {"rounds": 2})
    assert pulled(recent) == (NOW - timedelta(seconds=299), {"rounds": 1})


def test_a_connection_is_due_again_once_crm_pull_seconds_have_passed(acme, clock, settings):
    settings.CRM_PULL_SECONDS = 120
    connection = demo_connection(acme)
    assert beat() == 1

    clock.shift(119)
    assert beat() == 0
    assert pulled(connection) == (NOW, {"rounds": 1})

    clock.shift(2)
    assert beat() == 1
    assert pulled(connection) == (NOW + timedelta(seconds=121), {"rounds": 2})


@pytest.mark.parametrize("case", ["paused", "deleted", "tenant_disabled"])
def test_a_paused_or_deleted_connection_or_one_of_a_disabled_tenant_is_not_pulled(
    acme, clock, case
):
    connection = demo_connection(acme, pulled_ago=24 * 3600)
    with tenant_context(acme.tenant):
        if case == "paused":
            connections.connection_update(
                actor=acme.actor(acme.admin),
                connection=connection,
                name=connection.name,
                settings={},
                field_mapping={},
                stage_mapping={},
                is_active=False,
                demo_mode=True,
            )
        elif case == "deleted":
            connections.connection_delete(actor=acme.actor(acme.admin), connection=connection)
    if case == "tenant_disabled":
        acme.tenant.is_active = False
        acme.tenant.save(update_fields=["is_active"])

    assert beat() == 0

    assert not CrmSyncLog.objects.unscoped().filter(direction="pull").exists()
    if case != "deleted":
        assert pulled(connection) == (NOW - timedelta(hours=24), {"rounds": 1})
