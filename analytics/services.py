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
    BoardReport,
    DealTouch,
    RefreshStatus,
    ReportStatus,
    RollupState,
    TouchKind,
)
from .settings import analytics_settings

logger = logging.getLogger(__name__)


def refresh_run(*, full: bool = False) -> rollups.RefreshResult:
    """Run a refresh now (the task's body); a failure is recorded on the state and re-raised."""
    from . import cltv

    try:
        result = rollups.refresh(full=full)
        # Customer value counts whole ledgers: with the full (nightly) refresh.
        if result.kind == "full" or cltv.needs_refresh():
            cltv.refresh()
    except Exception as error:
        RollupState.objects.filter(pk=rollups.rollup_state().pk).update(
            status=RefreshStatus.FAILED, error=str(error)[:2000]
        )
        logger.exception("Rollup refresh failed")
        raise
    if result.rows_written or result.kind == "full":
        warm_dashboard()
    return result


def warm_dashboard() -> None:
    """Compute the dashboard's default view (this quarter, linear) for the program-wide readers
    once the rollups changed, so the first executive to open it reads cached figures. A failure
    here costs only that first request its speed."""
    from django.utils import timezone

    from tenancy.models import Membership
    from tenancy.roles import Role

    from . import dashboard as composer

    tenant = require_current_tenant()
    # The program-wide view, as any executive sees it (figures are cached by scope, not person).
    viewer = Actor(tenant=tenant, membership=Membership(tenant=tenant, role=Role.EXECUTIVE))
    try:
        with transaction.atomic():  # a database error rolls back to here, not the caller's work
            f, key, _chosen = composer.parse_filters({}, timezone.now().date())
            composer.dashboard(viewer, f, key)
    except Exception:
        logger.exception("Warming the dashboard failed")


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
        if set(changes) & set(ROLLUP_SETTINGS):
            current.changed_at = timezone.now()  # the next refresh recomputes every figure
        current.full_clean()
        current.save()
        audit_record(
            actor=actor, action="analytics.settings_changed", target=current, changes=changes
        )
    return current


# The settings the rollups are computed with (a change recomputes every figure).
ROLLUP_SETTINGS = (
    "attribution_weights",
    "cost_rule",
    "manager_monthly_cost",
    "program_monthly_cost",
)
SETTINGS_FIELDS = (
    *ROLLUP_SETTINGS,
    "channel_marketing_monthly_cost",
    "direct_marketing_monthly_cost",
    "direct_sales_monthly_cost",
    "gross_margin_percent",
    "max_lifetime_years",
    "psat_every_months",
    "psat_open_days",
    "psat_reminder_days",
    "psat_anonymous",
    "psat_questions",
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


# --- Board reports -----------------------------------------------------------------------------

MAX_REPORTS_IN_PROGRESS = 3
REPORT_FILTERS = ("period", "model", "region", "tier", "partner_type", "product")


@transaction.atomic
def report_request(
    *,
    actor: Actor,
    filters: dict,
    title: str,
    summary: str = "",
    outlook: str = "",
    email_me: bool = False,
) -> BoardReport:
    """Ask for a board report of the dashboard as filtered; a worker builds it (the page shows
    its progress). Anyone who reads the dashboard may; the report shows their view of it."""
    from .dashboard import parse_filters, period_label
    from .tasks import build_board_report

    access.require(actor, Perm.ANALYTICS_VIEW)
    working = BoardReport.objects.filter(
        requested_by=actor.user, status__in=(ReportStatus.QUEUED, ReportStatus.BUILDING)
    ).count()
    if working >= MAX_REPORTS_IN_PROGRESS:
        raise ValidationError(
            _("%(n)s of your reports are still being prepared; wait for one to finish.")
            % {"n": working}
        )
    f, _key, chosen = parse_filters(filters, timezone.localdate())
    report = BoardReport(
        tenant=require_current_tenant(),
        requested_by=actor.user,
        filters={k: v for k, v in chosen.items() if v and k in REPORT_FILTERS},
        period_label=period_label(f),
        title=title.strip(),
        summary=summary.strip(),
        outlook=outlook.strip(),
        email_me=email_me,
    )
    report.full_clean(exclude=["file"])
    report.save()
    audit_record(
        actor=actor,
        action="analytics.report_requested",
        target=report,
        changes={"title": report.title, "period": report.period_label},
    )
    enqueue(build_board_report, tenant=require_current_tenant(), report_id=report.pk)
    return report


def report_build(*, report_id: int) -> BoardReport | None:
    """The task's body: build a queued report (a report already built is left alone)."""
    from . import report as builder

    report = BoardReport.objects.filter(pk=report_id).select_related("requested_by").first()
    if report is None or report.status == ReportStatus.READY:
        return report
    return builder.build(report)
