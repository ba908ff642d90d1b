"""The one base for tenant-owned models and its fail-closed manager."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.translation import get_language

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


def choice_labels(field) -> dict:
    """{code: label as text} of a field's choices in the active language, built once."""
    key = (field, get_language())
    labels = _CHOICE_LABELS.get(key)
    if labels is None:
        labels = {
            make_hashable(code): force_str(label, strings_only=True)
            for code, label in field.flatchoices
        }
        _CHOICE_LABELS[key] = labels
    return labels


_CHOICE_LABELS: dict = {}


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

    def _get_FIELD_display(self, field):  # noqa: N802 (Django's name)
        # Django rebuilds {code: label} for every get_FOO_display() call, hashing (so
        # translating) every lazy label of the field: ~1,000 translations on a 25-row page.
        # Same answer from a map built once per field and language.
        value = getattr(self, field.attname)
        return choice_labels(field).get(make_hashable(value), value)
