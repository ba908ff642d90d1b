"""ipp: Celery tasks (thin: restore tenant via TenantTask, call a service)."""

from __future__ import annotations

import logging

from celery import shared_task

from tenancy.tasks import TenantTask

logger = logging.getLogger(__name__)


@shared_task(base=TenantTask, bind=True, name="partners.tasks.ipp.ipp_recompute_tenant")
def ipp_recompute_tenant(self, *, version: int | None = None) -> int | None:
    """Rescore every partner of the tenant after its IPP changed.

    Safe to run twice (scores are a pure function of the data). When the IPP has moved past
    `version`, a later task is already queued for the newer version: skip, so a burst of edits
    costs one recompute.
    """
    from ..models import IdealPartnerProfile
    from ..services.ipp import score_tenant

    current = IdealPartnerProfile.objects.values_list("version", flat=True).first()
    if version is not None and current is not None and current > version:
        logger.info("IPP recompute for version %s skipped: now at %s", version, current)
        return None
    return score_tenant()
