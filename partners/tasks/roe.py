"""roe: Celery tasks (thin: restore tenant via TenantTask, call a service)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="partners.tasks.roe.request_roe_acceptances")
def request_roe_acceptances(self, *, rules_id: int) -> int:
    """After publishing: one email task per partner admin who has not accepted yet."""
    from ..services.roe import roe_request_acceptances

    return roe_request_acceptances(rules_id=rules_id)


@shared_task(base=TenantTask, bind=True, name="partners.tasks.roe.send_roe_acceptance_request")
def send_roe_acceptance_request(self, *, rules_id: int, membership_id: int) -> bool:
    from ..services.roe import roe_send_acceptance_request

    return roe_send_acceptance_request(rules_id=rules_id, membership_id=membership_id)
