"""Analytics writes: refreshing the rollups (on a schedule or on demand)."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.tasks import enqueue

from . import rollups
from .models import (
    RECORDED_TOUCHES,
    AnalyticsSettings,
    DealTouch,
    RefreshStatus,
    RollupState,
    TouchKind,
)
from .settings import analytics_settings

logger = logging.getLogger(__name__)


def refresh_run(*, full: bool = False) -> rollups.RefreshResult:
    """Run a refresh now (the task's body); a failure is recorded on the state and re-raised."""
    try:
        return rollups.refresh(full=full)
    except Exception as error:
        RollupState.objects.filter(pk=rollups.rollup_state().pk).update(
            status=RefreshStatus.FAILED, error=str(error)[:2000]
        )
        logger.exception("Rollup refresh failed")
        raise


@transaction.atomic
def refresh_request(*, actor: Actor, full: bool = False) -> RollupState:
    """ "Refresh now": queue a refresh for the current tenant (one at a time)."""
    access.require(actor, Perm.ANALYTICS_MANAGE)
    from .tasks import refresh_rollups

    state = RollupState.objects.select_for_update().get(pk=rollups.rollup_state().pk)
    if state.status in (RefreshStatus.QUEUED, RefreshStatus.RUNNING):
        return state
    state.status = RefreshStatus.QUEUED
    state.requested_at = timezone.now()
    state.save(update_fields=["status", "requested_at"])
    audit_record(actor=actor, action="analytics.refresh_requested", target=state, changes={})
    enqueue(refresh_rollups, tenant=require_current_tenant(), full=full)
    return state


def tenants_with_partners() -> list[int]:
    from partners.models import PartnerOrganization

    return list(
        PartnerOrganization.objects.unscoped()
        .filter(tenant__is_active=True)
        .values_list("tenant_id", flat=True)
        .distinct()
        .order_by()
    )


# --- Measurement settings and recorded touches ---------------------------------------------------


@transaction.atomic
def settings_update(*, actor: Actor, **values) -> AnalyticsSettings:
    """Change how the program is measured (cost rule, monthly costs, model weights). The next
    refresh recomputes every figure (a cost or weight change moves all of them)."""
    access.require(actor, Perm.ANALYTICS_MANAGE)
    current = analytics_settings()
    changes = {}
    for name, value in values.items():
        if name not in SETTINGS_FIELDS:
            raise ValueError(name)
        if getattr(current, name) != value:
            changes[name] = [str(getattr(current, name)), str(value)]
            setattr(current, name, value)
    if changes:
        current.changed_at = timezone.now()
        current.full_clean()
        current.save()
        audit_record(
            actor=actor, action="analytics.settings_changed", target=current, changes=changes
        )
    return current


SETTINGS_FIELDS = (
    "attribution_weights",
    "cost_rule",
    "manager_monthly_cost",
    "program_monthly_cost",
)


@transaction.atomic
def touch_record(
    *, actor: Actor, registration, partner, kind: str, touched_on, note: str = ""
) -> DealTouch:
    """Record a partner's part in a deal that its registration does not show (a referral, a
    co-sell, an influencing activity). The partner's figures change at the next refresh."""
    access.require(actor, Perm.ANALYTICS_MANAGE)
    if kind not in RECORDED_TOUCHES:
        raise ValidationError({"kind": _("Choose what the partner did.")})
    touch = DealTouch(
        tenant=require_current_tenant(),
        registration=registration,
        partner=partner,
        kind=kind,
        touched_on=touched_on,
        note=note.strip(),
        created_by=actor.user,
    )
    touch.full_clean()
    touch.save()
    audit_record(
        actor=actor,
        action="analytics.touch_recorded",
        target=touch,
        changes={
            "partner": partner.name,
            "kind": str(TouchKind(kind).label),
            "deal": str(registration),
        },
    )
    return touch


@transaction.atomic
def touch_delete(*, actor: Actor, touch: DealTouch) -> None:
    access.require(actor, Perm.ANALYTICS_MANAGE)
    audit_record(
        actor=actor,
        action="analytics.touch_removed",
        target=touch,
        changes={"partner": touch.partner.name, "kind": str(touch.get_kind_display())},
    )
    touch.removed_at = timezone.now()
    touch.save(update_fields=["removed_at"])
