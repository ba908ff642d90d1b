"""Beat's sweeps scale with due work, not with tenants: each `*_all_tenants` task asks one
platform-wide query which tenants have due rows and sends a sweep to those only; an idle tenant
gets no task and no ProcessedTask row (docs/architecture.md, "Background work")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from dealreg import sweeps as deal_sweeps
from dealreg.models import DealStatus
from dealreg.selectors.sweeps import tenants_with_expiry_due, tenants_with_sla_due
from dealreg.services.expiry import expiry_sweep
from dealreg.services.sla import sla_sweep
from dealreg.tests.lifecycle import make_deal, set_rules
from enablement.certs import services as cert_services
from enablement.certs.models import CertificationAward
from enablement.certs.selectors import tenants_with_recert_due
from enablement.certs.tasks import send_recert_reminders, send_recert_reminders_all_tenants
from enablement.certs.tests.factories import make_ladder, pass_quiz
from onboarding.models import OnboardingRun, RunStatus
from onboarding.selectors.cadence import tenants_with_cadence_due
from onboarding.selectors.workflow import tenants_with_retry_due
from onboarding.services.cadence import cadence_load_recommended
from onboarding.tasks import cadence as cadence_tasks
from onboarding.tasks import workflow as workflow_tasks
from onboarding.tests.factories import AgreementSignatureFactory
from partners.models import LifecycleState
from partners.selectors.tiers import tenants_with_tiers_to_evaluate
from partners.tasks import tiers as tier_tasks
from tenancy.access import actor_for_user
from tenancy.context import tenant_context
from tenancy.models import ProcessedTask
from tenancy.tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

# A Wednesday at noon UTC: business hours around it are plain working hours.
WEDNESDAY_NOON = datetime(2027, 6, 16, 12, tzinfo=UTC)

# (beat task, the per-tenant sweep it sends)
FAN_OUTS = [
    (workflow_tasks.retry_due_runs_all_tenants, workflow_tasks.retry_due),
    (cadence_tasks.send_due_cadence_all_tenants, cadence_tasks.send_due_cadence),
    (deal_sweeps.sla_sweep_all_tenants, deal_sweeps.sla_sweep),
    (deal_sweeps.expiry_sweep_all_tenants, deal_sweeps.expiry_sweep),
    (deal_sweeps.account_words_all_tenants, deal_sweeps.account_words),
    (send_recert_reminders_all_tenants, send_recert_reminders),
    (tier_tasks.evaluate_all_tenants, tier_tasks.evaluate_tenant_tiers),
]


def sent_to(beat_task, sweep) -> set[int]:
    """Run a beat task; the tenant ids its sweep was sent to (not run)."""
    with mock.patch.object(sweep, "apply_async") as send:
        count = beat_task()
    ids = [c.kwargs["kwargs"]["tenant_id"] for c in send.call_args_list]
    assert count == len(ids) == len(set(ids))
    return set(ids)


def failed_run(world, *, retry_at):
    signature = AgreementSignatureFactory(partner=world.partner, tenant=world.tenant)
    with tenant_context(world.tenant):
        return OnboardingRun.objects.create(
            tenant=world.tenant,
            partner=world.partner,
            signature=signature,
            status=RunStatus.FAILED,
            next_attempt_at=retry_at,
        )


def test_idle_tenants_get_no_sweep_and_no_processed_task_row():
    TenantFactory.create_batch(6)
    for beat_task, sweep in FAN_OUTS:
        assert sent_to(beat_task, sweep) == set(), beat_task.name
        assert beat_task.apply().get() == 0  # really sent (eager in tests): nothing
    assert ProcessedTask.objects.count() == 0


def test_the_due_query_costs_the_same_for_3_or_30_idle_tenants():
    def queries() -> list[int]:
        counts = []
        for beat_task, sweep in FAN_OUTS:
            with CaptureQueriesContext(connection) as ctx:
                sent_to(beat_task, sweep)
            counts.append(len(ctx.captured_queries))
        return counts

    TenantFactory.create_batch(3)
    few = queries()
    TenantFactory.create_batch(27)
    assert queries() == few
    assert max(few) <= 2  # one query per area (cadence and recert: a second only with data)


def test_retry_sweep_goes_only_to_tenants_with_a_retry_due(acme, globex):
    bystanders = TenantFactory.create_batch(4)
    now = timezone.now()
    failed_run(acme, retry_at=now - timedelta(minutes=1))
    failed_run(globex, retry_at=now + timedelta(hours=1))  # not yet
    assert tenants_with_retry_due() == {acme.tenant.pk}
    assert sent_to(workflow_tasks.retry_due_runs_all_tenants, workflow_tasks.retry_due) == {
        acme.tenant.pk
    }
    # The tenant's retry still happens, and the sweep itself claims no ProcessedTask row.
    with mock.patch.object(workflow_tasks.run_onboarding, "apply_async"):
        assert workflow_tasks.retry_due.apply(kwargs={"tenant_id": acme.tenant.pk}).get() == 1
        for tenant in [globex.tenant, *bystanders]:
            assert workflow_tasks.retry_due.apply(kwargs={"tenant_id": tenant.pk}).get() == 0
    assert ProcessedTask.objects.filter(task_name=workflow_tasks.retry_due.name).count() == 0
    with time_machine.travel(now + timedelta(hours=2), tick=False):
        assert tenants_with_retry_due() == {acme.tenant.pk, globex.tenant.pk}


def test_inactive_tenant_is_never_swept(acme):
    failed_run(acme, retry_at=timezone.now() - timedelta(minutes=1))
    acme.tenant.is_active = False
    acme.tenant.save(update_fields=["is_active"])
    assert tenants_with_retry_due() == set()


def test_sla_due_tenants_are_those_the_sla_sweep_acts_on(acme, globex):
    TenantFactory.create_batch(3)
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        # acme: due in 2 working hours, reminder 8 working hours before: the reminder is due.
        make_deal(acme, sla_due_at=WEDNESDAY_NOON + timedelta(hours=2))
        # globex: due in a month; nothing to do yet.
        make_deal(globex, sla_due_at=WEDNESDAY_NOON + timedelta(days=30))
        assert tenants_with_sla_due() == {acme.tenant.pk}
        assert sent_to(deal_sweeps.sla_sweep_all_tenants, deal_sweeps.sla_sweep) == {acme.tenant.pk}
        for world, expected in ((acme, 1), (globex, 0)):
            with tenant_context(world.tenant):
                assert sum(sla_sweep().values()) == expected
        # Reminded: nothing due until the SLA itself runs out.
        assert tenants_with_sla_due() == set()
    with time_machine.travel(WEDNESDAY_NOON + timedelta(hours=3), tick=False):
        assert tenants_with_sla_due() == {acme.tenant.pk}  # escalation
    with time_machine.travel(WEDNESDAY_NOON + timedelta(days=29), tick=False):
        # globex's reminder: 8 working hours before its due time (a Friday noon).
        assert globex.tenant.pk in tenants_with_sla_due()


def test_reminder_time_follows_the_tenants_rules(acme):
    set_rules(acme, sla_reminder_hours=1)
    with time_machine.travel(WEDNESDAY_NOON, tick=False):
        make_deal(acme, sla_due_at=WEDNESDAY_NOON + timedelta(hours=2))
        assert tenants_with_sla_due() == set()  # reminded 1 working hour before, at 13:00
    with time_machine.travel(WEDNESDAY_NOON + timedelta(hours=1), tick=False):
        assert tenants_with_sla_due() == {acme.tenant.pk}


def test_expiry_due_tenants_follow_each_tenants_warning_window(acme, globex):
    set_rules(acme, expiry_warning_days=7)
    set_rules(globex, expiry_warning_days=30)
    now = timezone.now()
    make_deal(acme, status=DealStatus.APPROVED, expires_at=now + timedelta(days=20))
    make_deal(globex, status=DealStatus.APPROVED, expires_at=now + timedelta(days=20))
    assert tenants_with_expiry_due() == {globex.tenant.pk}
    assert sent_to(deal_sweeps.expiry_sweep_all_tenants, deal_sweeps.expiry_sweep) == {
        globex.tenant.pk
    }
    with tenant_context(globex.tenant):
        assert expiry_sweep() == {"warned": 1, "expired": 0}
    assert tenants_with_expiry_due() == set()  # warned once
    with time_machine.travel(now + timedelta(days=21), tick=False):
        assert tenants_with_expiry_due() == {acme.tenant.pk, globex.tenant.pk}  # expiries


def test_recert_due_tenants_are_those_the_reminder_sweep_acts_on(acme, globex):
    ladder = make_ladder(acme)
    pass_quiz(acme, acme.partner_sales, ladder["exam_a"])
    with tenant_context(acme.tenant):
        (award,) = CertificationAward.objects.all()
    for days_before in (61, 59, 59, 45, 29, 28, 6, 6, 1):
        with time_machine.travel(award.expires_at - timedelta(days=days_before), tick=False):
            due = tenants_with_recert_due()
            assert globex.tenant.pk not in due
            with tenant_context(acme.tenant):
                sent = cert_services.send_recert_reminders()
            assert (acme.tenant.pk in due) == (sent > 0), days_before
    with time_machine.travel(award.expires_at + timedelta(hours=1), tick=False):
        assert tenants_with_recert_due() == {acme.tenant.pk}  # the expiry to process
        with tenant_context(acme.tenant):
            cert_services.send_recert_reminders()
        assert tenants_with_recert_due() == set()


def test_cadence_due_while_a_partner_is_inside_a_step_window(acme, globex):
    with tenant_context(acme.tenant):
        cadence_load_recommended(actor=actor_for_user(acme.admin, acme.tenant))
    signed = timezone.now()
    signature = AgreementSignatureFactory(
        partner=acme.partner, tenant=acme.tenant, signed_at=signed
    )
    with tenant_context(acme.tenant):
        OnboardingRun.objects.create(tenant=acme.tenant, partner=acme.partner, signature=signature)
    assert tenants_with_cadence_due() == {acme.tenant.pk}
    assert sent_to(cadence_tasks.send_due_cadence_all_tenants, cadence_tasks.send_due_cadence) == {
        acme.tenant.pk
    }
    # Past the last step (day 30) and its grace: nothing more to send.
    with time_machine.travel(signed + timedelta(days=40), tick=False):
        assert tenants_with_cadence_due() == set()
    acme.partner.state = LifecycleState.SUSPENDED
    acme.partner.save(update_fields=["state"])
    assert tenants_with_cadence_due() == set()


def test_tier_evaluation_only_where_there_are_tiers_and_partners_to_evaluate(acme, globex):
    from partners.tests.test_tiers_evaluation import activate
    from partners.tests.test_tiers_evaluation import make_ladder as make_tiers

    make_tiers(acme)
    activate(acme, acme.partner)
    make_tiers(globex)  # tiers, but no contracted or active partner
    assert tenants_with_tiers_to_evaluate() == {acme.tenant.pk}
    assert sent_to(tier_tasks.evaluate_all_tenants, tier_tasks.evaluate_tenant_tiers) == {
        acme.tenant.pk
    }
