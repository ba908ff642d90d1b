"""System checks that keep the tenancy rules true as models are added."""

from django.apps import apps
from django.core.checks import Error, register

from .registry import registration_problems
from .scoping import TenantOwnedModel


@register()
def registries_are_filled(app_configs, **kwargs):
    """Every cross-app hook, provider and source a lower app declares as required was registered
    by the app above it (tenancy/registry.py): a renamed or forgotten registration fails start-up
    instead of switching a feature off in silence."""
    return [Error(problem, id="tenancy.E002") for problem in registration_problems()]


@register()
def tenant_indexes_lead_with_tenant(app_configs, **kwargs):
    """Composite indexes and unique constraints of tenant-owned models start with tenant_id, so they
    serve per-tenant queries and shard cleanly by tenant_id (docs/architecture.md)."""
    return index_errors(apps.get_models())


def index_errors(models) -> list[Error]:
    errors = []
    for model in models:
        if not issubclass(model, TenantOwnedModel):
            continue
        groups = [(i.name, list(i.fields)) for i in model._meta.indexes]
        groups += [
            (c.name, list(getattr(c, "fields", ())))
            for c in model._meta.constraints
            if getattr(c, "fields", ())
        ]
        for name, fields in groups:
            first = fields[0].lstrip("-") if fields else ""
            if len(fields) > 1 and first not in ("tenant", "tenant_id"):
                errors.append(
                    Error(
                        f"{model._meta.label}: index/constraint {name} must start with tenant.",
                        obj=model,
                        id="tenancy.E001",
                    )
                )
    return errors
