"""Task plumbing: tenant-carrying, idempotent tasks, plus the platform's own periodic jobs.

Tenant tasks take `tenant_id` explicitly and restore the tenant in the worker. A delivery runs its
body inside a transaction that also inserts a ProcessedTask claim keyed by the Celery task id, so a
redelivered message (acks_late, worker lost, broker visibility timeout) finds the claim and does
nothing; a failed run rolls its claim back and may be retried.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from .context import tenant_context
from .models import ProcessedTask, Tenant

logger = logging.getLogger(__name__)

HEARTBEAT_CACHE_KEY = "prm:scheduler-heartbeat"


class TenantTask(Task):
    acks_late = True
    reject_on_worker_lost = True
    # tenant_id is consumed by __call__, not by run(): skip Celery's signature check at send time.
    typing = False
    # False for a task that must commit part of its work before a side effect it cannot undo
    # (sending mail): the claim then commits first and the body manages its own transactions.
    # Such a body must be safe to lose half-way (its own state rows say what is done).
    atomic = True
    # False for a periodic sweep (SweepTask): it is idempotent by its own rows' state, so a
    # redelivery is harmless and no ProcessedTask claim is written for it.
    claim = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        tenant_id = kwargs.pop("tenant_id", None)
        if tenant_id is None:
            raise TypeError(f"{self.name} must be called with tenant_id=")
        tenant = Tenant.objects.filter(pk=tenant_id, is_active=True).first()
        if tenant is None:
            logger.warning("Task %s skipped: tenant %s is gone or inactive", self.name, tenant_id)
            return None
        task_id = getattr(self.request, "id", None)
        with tenant_context(tenant):
            if task_id is None:  # called in-process (e.g. a sweep calling another task's body)
                return self.run(*args, **kwargs)
            if not self.claim:
                if not self.atomic:
                    return self.run(*args, **kwargs)
                with transaction.atomic():
                    return self.run(*args, **kwargs)
            if not self.atomic:
                if not self._claim(task_id, tenant):
                    return None
                return self.run(*args, **kwargs)
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        ProcessedTask.objects.create(
                            task_id=task_id, task_name=self.name, tenant=tenant
                        )
                except IntegrityError:
                    logger.info("Task %s[%s] already processed; skipping", self.name, task_id)
                    return None
                return self.run(*args, **kwargs)

    def _claim(self, task_id: str, tenant: Tenant) -> bool:
        try:
            with transaction.atomic():
                ProcessedTask.objects.create(task_id=task_id, task_name=self.name, tenant=tenant)
        except IntegrityError:
            logger.info("Task %s[%s] already processed; skipping", self.name, task_id)
            return False
        return True


class SweepTask(TenantTask):
    """Base of a periodic sweep over one tenant's due rows ("send the reminders that are due").

    Such a sweep must be safe to run any number of times (each row's own state says what is
    done), so it writes no ProcessedTask claim. Beat never starts it for every tenant: the
    area's `*_all_tenants` task asks one query which tenants have due rows and `fan_out`s to
    those only (docs/architecture.md, "Background work")."""

    claim = False


def fan_out(task: Task, tenant_ids: Iterable[int]) -> int:
    """Send `task` once for each of `tenant_ids` (a beat task's fan-out, outside any transaction).
    The ids come from the area's "which tenants have due work" query, which only returns active
    tenants; the worker checks again (TenantTask). Returns how many were sent."""
    ids = sorted(set(tenant_ids))
    for tenant_id in ids:
        task.apply_async(kwargs={"tenant_id": tenant_id})
    logger.info("%s sent for %s tenant(s) with due work", task.name, len(ids))
    return len(ids)


def enqueue(task: Task, *, tenant: Tenant, **kwargs: Any) -> None:
    """Send a tenant task once the current transaction commits (never for rolled-back work)."""
    payload = {**kwargs, "tenant_id": tenant.pk}
    transaction.on_commit(lambda: task.apply_async(kwargs=payload))


@shared_task(name="tenancy.tasks.heartbeat")
def heartbeat() -> str:
    """Fired by beat, run by a worker: /healthz shows that both are alive."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now


@shared_task(name="tenancy.tasks.prune_processed_tasks")
def prune_processed_tasks(days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = ProcessedTask.objects.filter(processed_at__lt=cutoff).delete()
    return deleted


# --- Mail outbox (tenancy.emails) --------------------------------------------------------------


# Not a TenantTask: the outbox row is the claim (a second delivery finds it no longer QUEUED), and
# its steps must commit one by one around the SMTP hand-over (tenancy.outbox explains why).
@shared_task(name="tenancy.tasks.deliver_email", acks_late=True)
def deliver_email(*, email_id: int) -> str | None:
    from .emails import email_deliver

    return email_deliver(email_id=email_id)


@shared_task(name="tenancy.tasks.sweep_mail_outbox")
def sweep_mail_outbox() -> int:
    """Beat (every minute): one query over all tenants for mail whose retry is due."""
    from .emails import emails_sweep

    return emails_sweep()
