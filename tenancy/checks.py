"""System checks that keep the tenancy rules true as models are added."""

from django.apps import apps
from django.core.checks import Error, Tags, register

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


# The embedded defaults of prm/settings/base.py: right for `make run`, wrong for a deployment.
DEV_SECRET_KEY_PREFIX = "dev-only-insecure-key"
DEV_MAIL_BACKENDS = (
    "tenancy.mail.DevMailboxBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
)


@register(Tags.security, deploy=True)
def embedded_defaults_not_deployed(app_configs, **kwargs):
    """`check --deploy` names every embedded default still in use (docs/operations.md)."""
    from django.conf import settings

    problems = []

    def error(code: str, message: str, hint: str) -> None:
        problems.append(Error(message, hint=hint, id=f"tenancy.E{code}"))

    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        error("101", "The database is the embedded SQLite file.", "Set DATABASE_URL=postgres://…")
    if not str(getattr(settings, "CELERY_BROKER_URL", "")).startswith(("redis://", "rediss://")):
        error("102", "The task broker is not Redis (filesystem broker).", "Set REDIS_URL.")
    cache_backend = settings.CACHES["default"]["BACKEND"]
    if not cache_backend.endswith(("RedisCache", "PyMemcacheCache", "PyLibMCCache")):
        error(
            "103",
            f"The cache ({cache_backend}) is not shared between hosts: rate limits and the "
            "health heartbeat would be per machine.",
            "Set REDIS_URL.",
        )
    base = settings.PRM_BASE_DOMAIN
    if base == "localhost" or base.endswith(".localhost"):
        error("104", f"PRM_BASE_DOMAIN is {base!r}.", "Set PRM_BASE_DOMAIN=prm.example.com.")
    if settings.EMAIL_BACKEND in DEV_MAIL_BACKENDS:
        error("105", "Mail is not sent (development mail backend).", "Set EMAIL_URL=smtp+tls://…")
    if str(settings.SECRET_KEY).startswith(DEV_SECRET_KEY_PREFIX):
        error("106", "SECRET_KEY is the published development key.", "Set SECRET_KEY.")
    return problems
