"""tiers: Celery tasks (thin: restore tenant via TenantTask, call a service).

Beat fires `evaluate_all_tenants` every 6 hours (CELERY_BEAT_SCHEDULE "evaluate-tiers"); it fans
out one `evaluate_tenant_tiers` task per active tenant. Both are safe to run twice: evaluation
keeps a pending proposal with the same target instead of adding another.
"""

from __future__ import annotations

import logging

from celery import shared_task

from tenancy.models import Tenant
from tenancy.tasks import TenantTask, enqueue

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, bind=True, name="partners.tasks.tiers.evaluate_tenant_tiers")
def evaluate_tenant_tiers(self) -> int:
    """Evaluate every contracted/active partner of the task's tenant; returns the proposals."""
    from ..services.tiers import evaluate_tenant

    return len(evaluate_tenant())


@shared_task(name="partners.tasks.tiers.evaluate_all_tenants")
def evaluate_all_tenants() -> int:
    """Fan out: one evaluation task per active tenant. Returns how many were sent."""
    tenants = list(Tenant.objects.filter(is_active=True).order_by("pk"))
    for tenant in tenants:
        enqueue(evaluate_tenant_tiers, tenant=tenant)
    logger.info("Tier evaluation queued for %s tenants", len(tenants))
    return len(tenants)
