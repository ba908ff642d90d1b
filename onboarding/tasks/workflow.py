"""Thin task wrappers for the onboarding workflow (services do the work)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask, TenantTask, fan_out


@shared_task(base=TenantTask, bind=True, name="onboarding.tasks.workflow.run_onboarding")
def run_onboarding(self, *, run_id: int) -> None:
    from ..services.workflow import onboarding_run_execute

    onboarding_run_execute(run_id=run_id)


@shared_task(base=SweepTask, bind=True, name="onboarding.tasks.workflow.retry_due")
def retry_due(self) -> int:
    """One tenant: failed runs whose retry is due, runs lost by a worker (their mail is retried
    by the tenant mail outbox's own sweep, tenancy.tasks.sweep_mail_outbox)."""
    from ..services.workflow import onboarding_runs_retry_due

    return onboarding_runs_retry_due()


@shared_task(name="onboarding.tasks.workflow.retry_due_runs_all_tenants")
def retry_due_runs_all_tenants() -> int:
    """Beat (every minute): a retry sweep for each tenant with a retry due (most have none)."""
    from ..selectors.workflow import tenants_with_retry_due

    return fan_out(retry_due, tenants_with_retry_due())
