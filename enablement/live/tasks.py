"""live: Celery tasks (thin: restore tenant via TenantTask, call a service)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(
    base=TenantTask, bind=True, name="enablement.live.tasks.send_registration_confirmation"
)
def send_registration_confirmation(self, *, registration_id: int) -> bool:
    from .services import registration_send_confirmation

    return registration_send_confirmation(registration_id=registration_id)
