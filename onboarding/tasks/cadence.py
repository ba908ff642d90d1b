"""Cadence tasks: thin wrappers over services.cadence (tenant restored by TenantTask)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask, fan_out


# A sweep: each (step, address) gets one mail row, so it may run any number of times.
@shared_task(base=SweepTask, bind=True, name="onboarding.tasks.cadence.send_due_cadence")
def send_due_cadence(self) -> int:
    from ..services.cadence import cadence_send_due

    return cadence_send_due()


@shared_task(name="onboarding.tasks.cadence.send_due_cadence_all_tenants")
def send_due_cadence_all_tenants() -> int:
    """Beat (every 15 minutes): a cadence sweep for each tenant with a partner in a step window."""
    from ..selectors.cadence import tenants_with_cadence_due

    return fan_out(send_due_cadence, tenants_with_cadence_due())
