"""organization: Celery tasks (thin: restore tenant via TenantTask, call a service)."""
