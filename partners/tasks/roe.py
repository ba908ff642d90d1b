"""roe: Celery tasks (thin: restore tenant via TenantTask, call a service)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="partners.tasks.roe.request_roe_acceptances")
def request_roe_acceptances(self, *, rules_id: int) -> int:
    """After publishing: queue the mail to every partner admin who has not accepted yet."""
    from ..services.roe import roe_request_acceptances

    return roe_request_acceptances(rules_id=rules_id)
