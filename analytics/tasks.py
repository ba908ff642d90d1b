"""Analytics tasks: keeping the rollups current (tenant restored by TenantTask)."""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import SweepTask, TenantTask, fan_out


class RollupRefresh(SweepTask):
    # Idempotent by construction: a refresh compares and writes only what changed.
    pass


@shared_task(base=RollupRefresh, bind=True, name="analytics.tasks.refresh_rollups")
def refresh_rollups(self, full: bool = False) -> dict:
    from .services import refresh_run

    result = refresh_run(full=full)
    return {"kind": result.kind, "partners": result.partners, "rows": result.rows_written}


@shared_task(name="analytics.tasks.refresh_rollups_all_tenants")
def refresh_rollups_all_tenants(full: bool = False) -> int:
    """Beat: an incremental refresh every few minutes, a full one nightly, for each tenant
    with partners."""
    from .services import tenants_with_partners

    return fan_out_refresh(tenants_with_partners(), full=full)


def fan_out_refresh(tenant_ids, *, full: bool) -> int:
    if not full:
        return fan_out(refresh_rollups, tenant_ids)
    ids = sorted(set(tenant_ids))
    for tenant_id in ids:
        refresh_rollups.apply_async(kwargs={"tenant_id": tenant_id, "full": True})
    return len(ids)


class ReportBuild(TenantTask):
    # No claim: a redelivered build (its worker died) builds again; one that is ready is left
    # alone.
    claim = False


@shared_task(base=ReportBuild, bind=True, name="analytics.tasks.build_board_report")
def build_board_report(self, report_id: int) -> str:
    from .services import report_build

    report = report_build(report_id=report_id)
    return report.status if report else "missing"
