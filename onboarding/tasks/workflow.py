"""Thin task wrappers for the onboarding workflow and its mail (services do the work)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask, TenantTask, fan_out


@shared_task(base=TenantTask, bind=True, name="onboarding.tasks.workflow.run_onboarding")
def run_onboarding(self, *, run_id: int) -> None:
    from ..services.workflow import onboarding_run_execute

    onboarding_run_execute(run_id=run_id)


# atomic=False: the SENDING mark must commit before the message is handed to SMTP, and the
# outcome after it (services.mail explains why this never sends twice).
@shared_task(
    base=TenantTask,
    bind=True,
    atomic=False,
    name="onboarding.tasks.workflow.send_outbound_email",
)
def send_outbound_email(self, *, email_id: int) -> str | None:
    from ..services.mail import email_deliver

    return email_deliver(email_id=email_id)


@shared_task(base=SweepTask, bind=True, name="onboarding.tasks.workflow.retry_due")
def retry_due(self) -> int:
    """One tenant: failed runs and mail whose retry is due, runs lost by a worker. A sweep (no
    claim): what it enqueues is due by the rows' state, and a run or mail never goes twice."""
    from ..services.mail import emails_retry_due
    from ..services.workflow import onboarding_runs_retry_due

    return onboarding_runs_retry_due() + emails_retry_due()


@shared_task(name="onboarding.tasks.workflow.retry_due_runs_all_tenants")
def retry_due_runs_all_tenants() -> int:
    """Beat (every minute): a retry sweep for each tenant with a retry due (most have none)."""
    from ..selectors.workflow import tenants_with_retry_due

    return fan_out(retry_due, tenants_with_retry_due())
