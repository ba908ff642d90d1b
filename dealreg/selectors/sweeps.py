"""Which tenants have due deal-registration work: what beat's `*_all_tenants` tasks ask before
they fan out (dealreg/sweeps.py), so a tenant with nothing due gets no task at all.

Platform-wide reads, hence `.unscoped()`. Each is one query over the active tenants with an
EXISTS / ORDER BY ... LIMIT 1 probe per tenant on the registration indexes that lead with the
tenant (`deal_sla_due`, `deal_expiry`); the rule-dependent part (business hours, warning days) is
then decided in Python for the few tenants that have pending or approved registrations.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, Subquery
from django.utils import timezone

from tenancy.models import Tenant

from ..models import AccountNameWord, CustomerAccount, DealRegistration, DealRules, DealStatus
from ..models.registrations import PENDING_STATUSES


def _first(qs, field: str) -> Subquery:
    """The smallest `field` of `qs` (rows of the outer tenant), via the tenant-first index."""
    return Subquery(
        qs.filter(tenant=OuterRef("pk")).order_by(field).values(field)[:1],
    )


def tenants_with_sla_due(now: datetime | None = None) -> set[int]:
    """Tenants with a pending registration past its SLA (to escalate) or past its reminder time
    (`sla_reminder_hours` working hours before the due time, not yet reminded): exactly the
    registrations `services.sla.sla_sweep` acts on."""
    from ..services.sla import reminder_at

    now = now or timezone.now()
    waiting = DealRegistration.objects.unscoped().filter(
        status__in=PENDING_STATUSES, sla_due_at__isnull=False, sla_escalated_at__isnull=True
    )
    rows = (
        Tenant.objects.filter(is_active=True)
        .annotate(
            first_due=_first(waiting, "sla_due_at"),
            first_unreminded=_first(waiting.filter(sla_reminded_at__isnull=True), "sla_due_at"),
        )
        .filter(first_due__isnull=False)
        .values_list("pk", "first_due", "first_unreminded")
    )
    due: set[int] = set()
    to_check: dict[int, datetime] = {}
    for tenant_id, first_due, first_unreminded in rows:
        if first_due <= now:
            due.add(tenant_id)
        elif first_unreminded is not None:
            to_check[tenant_id] = first_unreminded
    if to_check:
        # The reminder time grows with the due time, so the earliest due registration is the
        # first to remind. Only tenants with a pending registration get here.
        rules = {r.tenant_id: r for r in DealRules.objects.unscoped().filter(tenant__in=to_check)}
        for tenant_id, first_unreminded in to_check.items():
            tenant_rules = rules.get(tenant_id) or DealRules(tenant_id=tenant_id)
            probe = DealRegistration(sla_due_at=first_unreminded)
            remind = reminder_at(probe, tenant_rules)
            if remind is not None and remind <= now:
                due.add(tenant_id)
    return due


def tenants_with_expiry_due(now: datetime | None = None) -> set[int]:
    """Tenants with an approved registration whose lock has ended (to expire) or ends within the
    tenant's `expiry_warning_days` and was not warned: what `services.expiry.expiry_sweep` does."""
    now = now or timezone.now()
    approved = DealRegistration.objects.unscoped().filter(
        status=DealStatus.APPROVED, expires_at__isnull=False
    )
    warning_days = DealRules._meta.get_field("expiry_warning_days").default
    rows = (
        Tenant.objects.filter(is_active=True)
        .annotate(
            first_expiry=_first(approved, "expires_at"),
            first_unwarned=_first(
                approved.filter(expiry_warned_at__isnull=True, expires_at__gt=now), "expires_at"
            ),
            warning_days=Subquery(
                DealRules.objects.unscoped()
                .filter(tenant=OuterRef("pk"))
                .values("expiry_warning_days")[:1]
            ),
        )
        .filter(first_expiry__isnull=False)
        .values_list("pk", "first_expiry", "first_unwarned", "warning_days")
    )
    due: set[int] = set()
    for tenant_id, first_expiry, first_unwarned, days in rows:
        if first_expiry <= now:
            due.add(tenant_id)
        elif first_unwarned is not None:
            window = timedelta(days=warning_days if days is None else days)
            if first_unwarned <= now + window:
                due.add(tenant_id)
    return due


def tenants_with_account_words() -> set[int]:
    """Tenants whose account-name vocabulary the hourly recount may change: those holding
    accounts, or words still counted for accounts since deleted. PostgreSQL only (the
    vocabulary does not exist elsewhere, `services.matching.account_words_recount`)."""
    if connection.vendor != "postgresql":
        return set()
    return set(
        Tenant.objects.filter(is_active=True)
        .filter(
            Q(Exists(CustomerAccount.objects.unscoped().filter(tenant=OuterRef("pk"))))
            | Q(Exists(AccountNameWord.objects.filter(tenant=OuterRef("pk"), accounts__gt=0)))
        )
        .values_list("pk", flat=True)
    )
