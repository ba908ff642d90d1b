"""Recording audit events: who changed what, when, from where.

Services call `audit_record` inside their transaction, so an approval or a permission change and its
audit row commit (or roll back) together.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .access import Actor
from .context import get_request_meta, require_current_tenant
from .models import AuditEvent


def audit_record(
    *, actor: Actor, action: str, target: models.Model, changes: dict[str, Any] | None = None
) -> AuditEvent:
    meta = get_request_meta()
    return AuditEvent.objects.create(
        tenant=require_current_tenant(),
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(getattr(target, "uuid", None) or target.pk),
        target_label=str(target)[:254],
        changes=changes or {},
        ip_address=meta.get("ip"),
        user_agent=(meta.get("user_agent") or "")[:300],
    )
