"""Certification tasks: thin wrappers over services (tenant restored by TenantTask)."""

from __future__ import annotations

from celery import shared_task

from tenancy.models import Tenant
from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="enablement.certs.tasks.reevaluate_partner_tier")
def reevaluate_partner_tier(self, *, partner_id: int) -> None:
    from .services import reevaluate_partner_tier as evaluate

    evaluate(partner_id=partner_id)


@shared_task(base=TenantTask, bind=True, name="enablement.certs.tasks.send_recert_reminders")
def send_recert_reminders(self) -> int:
    from .services import send_recert_reminders as sweep

    return sweep()


@shared_task(name="enablement.certs.tasks.send_recert_reminders_all_tenants")
def send_recert_reminders_all_tenants() -> int:
    """Beat (hourly): one sweep task per active tenant."""
    count = 0
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        send_recert_reminders.apply_async(kwargs={"tenant_id": tenant_id})
        count += 1
    return count
