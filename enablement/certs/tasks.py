"""Certification tasks: thin wrappers over services (tenant restored by TenantTask)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask, TenantTask, fan_out


@shared_task(base=TenantTask, bind=True, name="enablement.certs.tasks.reevaluate_partner_tier")
def reevaluate_partner_tier(self, *, partner_id: int) -> None:
    from .services import reevaluate_partner_tier as evaluate

    evaluate(partner_id=partner_id)


# A sweep: each reminder is claimed once per expiry cycle, each expiry processed once.
@shared_task(base=SweepTask, bind=True, name="enablement.certs.tasks.send_recert_reminders")
def send_recert_reminders(self) -> int:
    from .services import send_recert_reminders as sweep

    return sweep()


@shared_task(name="enablement.certs.tasks.send_recert_reminders_all_tenants")
def send_recert_reminders_all_tenants() -> int:
    """Beat (hourly): a sweep for each tenant with a reminder or an expiry due."""
    from .selectors import tenants_with_recert_due

    return fan_out(send_recert_reminders, tenants_with_recert_due())
