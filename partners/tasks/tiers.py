"""tiers: Celery tasks (thin: restore tenant via TenantTask, call a service).

Beat fires `evaluate_all_tenants` on the hours of settings.TIER_EVALUATION_HOURS_UTC (the
CELERY_BEAT_SCHEDULE entry "evaluate-tiers"); it fans out one `evaluate_tenant_tiers` task to each
active tenant with tiers and partners to evaluate. A partner that becomes contracted or active is
evaluated at once by the lifecycle service, not at the next run.
Both are safe to run twice (evaluation keeps a pending proposal with the same target instead of
adding another), so the per-tenant task is a sweep without a ProcessedTask claim.
"""

from __future__ import annotations

import logging

from celery import shared_task

from tenancy.tasks import SweepTask, fan_out

logger = logging.getLogger(__name__)


@shared_task(base=SweepTask, bind=True, name="partners.tasks.tiers.evaluate_tenant_tiers")
def evaluate_tenant_tiers(self) -> int:
    """Evaluate every contracted/active partner of the task's tenant; returns the proposals."""
    from ..services.tiers import evaluate_tenant

    return len(evaluate_tenant())


@shared_task(name="partners.tasks.tiers.evaluate_all_tenants")
def evaluate_all_tenants() -> int:
    """Fan out: one evaluation task per tenant with something to evaluate. Returns how many."""
    from ..selectors.tiers import tenants_with_tiers_to_evaluate

    return fan_out(evaluate_tenant_tiers, tenants_with_tiers_to_evaluate())
