"""The current tenant of this request or task, held in a context variable.

Set by TenantMiddleware (from the host), by API key authentication (from the key) and by
TenantTask (from the task's tenant_id). Everything tenant-owned reads it through the scoped
manager, which raises when it is unset: a forgotten scope is a loud error, never a leak.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import Tenant

_current_tenant: ContextVar[Tenant | None] = ContextVar("current_tenant", default=None)
# Where the current change comes from, for the audit log: ip and user agent of the request.
_request_meta: ContextVar[dict[str, Any]] = ContextVar("request_meta", default={})  # noqa: B039


class TenantNotSetError(RuntimeError):
    """A tenant-owned table was queried with no current tenant."""


def get_current_tenant() -> Tenant | None:
    return _current_tenant.get()


def require_current_tenant() -> Tenant:
    tenant = _current_tenant.get()
    if tenant is None:
        raise TenantNotSetError(
            "No current tenant: tenant-owned data is only reachable inside tenant_context(...) "
            "or via .unscoped() for deliberate cross-tenant work."
        )
    return tenant


@contextlib.contextmanager
def tenant_context(tenant: Tenant | None):
    token = _current_tenant.set(tenant)
    try:
        yield tenant
    finally:
        _current_tenant.reset(token)


def set_current_tenant(tenant: Tenant | None):
    """Set without a context manager; returns the token for reset_current_tenant."""
    return _current_tenant.set(tenant)


def reset_current_tenant(token) -> None:
    _current_tenant.reset(token)


def get_request_meta() -> dict[str, Any]:
    return _request_meta.get()


@contextlib.contextmanager
def request_meta_context(meta: dict[str, Any]):
    token = _request_meta.set(meta)
    try:
        yield
    finally:
        _request_meta.reset(token)


def on_commit_in_tenant(fn) -> None:
    """transaction.on_commit, run inside the tenant current *now*.

    NOTE: the commit may happen after the caller's tenant context has ended (an outer transaction
    wrapping several tenants, e.g. the demo seed), so the callback restores the tenant itself.
    """
    from django.db import transaction

    tenant = get_current_tenant()

    def run() -> None:
        with tenant_context(tenant):
            fn()

    transaction.on_commit(run)
