"""The data migration that dates stored milestones by their events: "agreement signed" takes the
signature's time, "team invited" the first invitation's; one with no event behind it goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("onboarding", "0005_mail_moved_to_tenancy_outbox"), ("tenancy", "0002_outbound_email")]
AFTER = [("onboarding", "0006_portal_login")]
T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_milestones_take_their_events_time_and_those_without_one_go():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Tenant = old.get_model("tenancy", "Tenant")
    Partner = old.get_model("partners", "PartnerOrganization")
    Template = old.get_model("onboarding", "AgreementTemplate")
    Signature = old.get_model("onboarding", "AgreementSignature")
    Invitation = old.get_model("tenancy", "Invitation")
    Milestone = old.get_model("onboarding", "Milestone")
    tenant = Tenant.objects.create(name="Acme", slug="acme-milestones")
    signed = Partner.objects.create(tenant=tenant, name="Signed and invited")
    bare = Partner.objects.create(tenant=tenant, name="Nothing behind")
    template = Template.objects.create(tenant=tenant, title="T", version=1, body="B")
    Signature.objects.create(
        tenant=tenant,
        partner=signed,
        template=template,
        method="click",
        text_signed="B",
        text_sha256="0" * 64,
        signer_name="S",
        signer_title="CEO",
        signed_at=T0,
    )
    for days in (3, 1):
        Invitation.objects.create(
            tenant=tenant,
            email=f"p{days}@signed.test",
            role="partner_sales",
            partner_organization_id=signed.pk,
            created_at=T0 + timedelta(days=days),
            expires_at=T0 + timedelta(days=days + 14),
        )
    noticed = T0 + timedelta(days=30)  # when the old code first looked
    for partner in (signed, bare):
        for key in ("agreement_signed", "team_invited", "first_login"):
            Milestone.objects.create(tenant=tenant, partner=partner, key=key, reached_at=noticed)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    rows = {
        (m.partner_id, m.key): m.reached_at
        for m in new.get_model("onboarding", "Milestone").objects.all()
    }
    assert rows == {
        (signed.pk, "agreement_signed"): T0,
        (signed.pk, "team_invited"): T0 + timedelta(days=1),
        # A login was an event when it was recorded: left as it is.
        (signed.pk, "first_login"): noticed,
        (bare.pk, "first_login"): noticed,
    }

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # leave the schema as other tests expect
