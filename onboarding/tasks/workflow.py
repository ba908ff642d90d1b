"""Thin task wrappers for the onboarding workflow (services.workflow does the work)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="onboarding.tasks.workflow.run_onboarding")
def run_onboarding(self, *, run_id: int) -> None:
    from ..services.workflow import onboarding_run_execute

    onboarding_run_execute(run_id=run_id)
