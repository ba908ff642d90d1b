"""Cadence tasks: thin wrappers over services.cadence (tenant restored by TenantTask)."""

from __future__ import annotations

from celery import shared_task

from tenancy.models import Tenant
from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="onboarding.tasks.cadence.send_due_cadence")
def send_due_cadence(self) -> int:
    from ..services.cadence import cadence_send_due

    return cadence_send_due()


@shared_task(name="onboarding.tasks.cadence.send_due_cadence_all_tenants")
def send_due_cadence_all_tenants() -> int:
    """Beat (every 15 minutes): one cadence sweep per active tenant."""
    count = 0
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        send_due_cadence.apply_async(kwargs={"tenant_id": tenant_id})
        count += 1
    return count
