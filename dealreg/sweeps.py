"""Scheduled sweeps of deal registration: the approval SLA (reminder, escalation) and lock expiry
(warning, expiry). Thin: restore the tenant (TenantTask) and call the service; the services are
idempotent (each reminder, escalation, warning and expiry happens once per registration)."""

from __future__ import annotations

from celery import shared_task

from tenancy.models import Tenant
from tenancy.tasks import TenantTask


class SweepTask(TenantTask):
    # Each registration commits on its own (and mails after its own commit): one bad row does
    # not roll back the rest, and the per-row claims keep a second run from repeating anything.
    atomic = False


@shared_task(base=SweepTask, bind=True, name="dealreg.sweeps.sla_sweep")
def sla_sweep(self) -> dict[str, int]:
    from .services.sla import sla_sweep as sweep

    return sweep()


@shared_task(base=SweepTask, bind=True, name="dealreg.sweeps.expiry_sweep")
def expiry_sweep(self) -> dict[str, int]:
    from .services.expiry import expiry_sweep as sweep

    return sweep()


@shared_task(base=TenantTask, bind=True, name="dealreg.sweeps.account_words")
def account_words(self) -> int:
    from .services.matching import account_words_recount

    return account_words_recount()


def _fan_out(task) -> int:
    count = 0
    for tenant_id in Tenant.objects.filter(is_active=True).values_list("pk", flat=True):
        task.apply_async(kwargs={"tenant_id": tenant_id})
        count += 1
    return count


@shared_task(name="dealreg.sweeps.sla_sweep_all_tenants")
def sla_sweep_all_tenants() -> int:
    """Beat (every 5 minutes): one SLA sweep per active tenant."""
    return _fan_out(sla_sweep)


@shared_task(name="dealreg.sweeps.expiry_sweep_all_tenants")
def expiry_sweep_all_tenants() -> int:
    """Beat (hourly): one lock-expiry sweep per active tenant."""
    return _fan_out(expiry_sweep)


@shared_task(name="dealreg.sweeps.account_words_all_tenants")
def account_words_all_tenants() -> int:
    """Beat (hourly): recount the account-name vocabulary of each active tenant."""
    return _fan_out(account_words)
