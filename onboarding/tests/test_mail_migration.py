"""The data migration that moves onboarding's mail log into the tenant mail outbox: every row
keeps its UUID, status, attempts and message, gains the partner's and the cadence step's UUID."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("onboarding", "0004_signature_stored_pdf"), ("tenancy", "0002_outbound_email")]
AFTER = [("onboarding", "0005_mail_moved_to_tenancy_outbox")]


@pytest.mark.django_db(transaction=True)
def test_onboarding_mail_rows_move_into_the_outbox():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Tenant = old.get_model("tenancy", "Tenant")
    Partner = old.get_model("partners", "PartnerOrganization")
    Step = old.get_model("onboarding", "CadenceStep")
    OldEmail = old.get_model("onboarding", "OutboundEmail")
    tenant = Tenant.objects.create(name="Acme", slug="acme-migration")
    partner = Partner.objects.create(tenant=tenant, name="NewCo")
    step = Step.objects.create(tenant=tenant, day_offset=2, subject="S", body="B")
    sent = OldEmail.objects.create(
        tenant=tenant,
        partner=partner,
        kind="cadence",
        cadence_step=step,
        idempotency_key="cadence:x:a@newco.test",
        recipient_email="a@newco.test",
        subject="Day 2",
        body_text="Hello",
        status="sent",
        attempts=1,
    )
    stuck = OldEmail.objects.create(
        tenant=tenant,
        partner=partner,
        kind="welcome_kit",
        idempotency_key="welcome:y:b@newco.test",
        recipient_email="b@newco.test",
        status="sending",
        attempts=1,
        last_error="",
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    NewEmail = new.get_model("tenancy", "OutboundEmail")
    rows = {row.uuid: row for row in NewEmail.objects.all()}
    moved = rows[sent.uuid]
    assert (moved.kind, moved.status, moved.attempts) == ("onboarding.cadence", "sent", 1)
    assert moved.partner_uuid == partner.uuid and moved.source_uuid == step.uuid
    assert (moved.subject, moved.body_text, moved.tenant_id) == ("Day 2", "Hello", tenant.pk)
    kit = rows[stuck.uuid]
    assert kit.kind == "onboarding.welcome_kit" and kit.status == "sending" and kit.sensitive
    assert "onboarding_outboundemail" not in connection.introspection.table_names()

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema as other tests expect
