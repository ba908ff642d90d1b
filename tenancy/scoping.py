"""The one base for tenant-owned models and its fail-closed manager."""

from __future__ import annotations

import uuid

from django.db import models

from .context import get_current_tenant, require_current_tenant


class TenantQuerySet(models.QuerySet):
    pass


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):  # type: ignore[misc]
    """Scopes every query to the current tenant; raises TenantNotSetError when there is none.

    Cross-tenant work (platform admin, migrations, benchmarks, the API-key lookup) must say so
    with `.unscoped()`.
    """

    def get_queryset(self) -> TenantQuerySet:
        tenant = require_current_tenant()
        return super().get_queryset().filter(tenant_id=tenant.pk)

    def unscoped(self) -> TenantQuerySet:
        return super().get_queryset()

    def none(self) -> TenantQuerySet:
        # An empty queryset reveals nothing, so it needs no tenant (schema generation uses it).
        return self.unscoped().none()


class TenantOwnedModel(models.Model):
    """Every tenant-owned row carries tenant_id and a public UUID; sequential ids never leave."""

    tenant = models.ForeignKey("tenancy.Tenant", on_delete=models.CASCADE, editable=False)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True
        # NOTE: following a foreign key and cascading deletes use Django's plain base manager,
        # so they work from an already-loaded row without a tenant context.

    def save(self, *args, **kwargs):
        # WARNING: an invariant, not a business rule: a row can only be written into the tenant
        # we are working in (or, with no tenant set, by explicit platform code).
        current = get_current_tenant()
        if self.tenant_id is None:
            self.tenant = require_current_tenant()
        elif current is not None and self.tenant_id != current.pk:
            raise PermissionError("Refusing to write a row of another tenant.")
        super().save(*args, **kwargs)
