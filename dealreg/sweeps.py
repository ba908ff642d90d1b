"""Scheduled sweeps of deal registration: the approval SLA (reminder, escalation) and lock expiry
(warning, expiry). Thin: restore the tenant (TenantTask) and call the service; the services are
idempotent (each reminder, escalation, warning and expiry happens once per registration), so
the sweeps write no ProcessedTask claim. Beat's `*_all_tenants` tasks send a sweep only to the
tenants that `selectors.sweeps` finds with due work."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask as TenantSweepTask
from tenancy.tasks import fan_out

from .selectors import sweeps as due


class SweepTask(TenantSweepTask):
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


@shared_task(base=TenantSweepTask, bind=True, name="dealreg.sweeps.account_words")
def account_words(self) -> int:
    from .services.matching import account_words_recount

    return account_words_recount()


@shared_task(name="dealreg.sweeps.sla_sweep_all_tenants")
def sla_sweep_all_tenants() -> int:
    """Beat (every 5 minutes): an SLA sweep for each tenant with a reminder or escalation due."""
    return fan_out(sla_sweep, due.tenants_with_sla_due())


@shared_task(name="dealreg.sweeps.expiry_sweep_all_tenants")
def expiry_sweep_all_tenants() -> int:
    """Beat (hourly): a lock-expiry sweep for each tenant with a warning or expiry due."""
    return fan_out(expiry_sweep, due.tenants_with_expiry_due())


@shared_task(name="dealreg.sweeps.account_words_all_tenants")
def account_words_all_tenants() -> int:
    """Beat (hourly): recount the account-name vocabulary of each tenant that has one."""
    return fan_out(account_words, due.tenants_with_account_words())
