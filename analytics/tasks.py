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


# --- Churn risk (analytics/churn.py) -----------------------------------------------------------


class ChurnWork(SweepTask):
    # Idempotent by its rows: a training or a scoring replaces the tenant's scores whole, and the
    # weekly mail's outbox key is per manager and week. No claim needed.
    pass


@shared_task(base=ChurnWork, bind=True, name="analytics.tasks.train_churn_model")
def train_churn_model(self, requested_by_id: int | None = None) -> dict:
    from tenancy.models import User

    from .churn import churn_train

    requested_by = User.objects.filter(pk=requested_by_id).first() if requested_by_id else None
    run = churn_train(requested_by=requested_by)
    return {"method": run.method, "auc": str(run.auc or ""), "snapshots": run.snapshots}


@shared_task(base=ChurnWork, bind=True, name="analytics.tasks.score_churn_risk")
def score_churn_risk(self) -> int:
    from .churn import churn_score

    return churn_score()


@shared_task(base=ChurnWork, bind=True, name="analytics.tasks.mail_at_risk_partners")
def mail_at_risk_partners(self) -> int:
    from .churn import at_risk_mail_send

    return at_risk_mail_send()


@shared_task(name="analytics.tasks.churn_all_tenants")
def churn_all_tenants(step: str = "score") -> int:
    """Beat: "train" weekly (then scores), "score" nightly, "mail" weekly, for each tenant with
    partners."""
    from .churn import tenants_to_score

    task = {
        "train": train_churn_model,
        "score": score_churn_risk,
        "mail": mail_at_risk_partners,
    }[step]
    return fan_out(task, tenants_to_score())


class SurveyCycle(SweepTask):
    # Each step is idempotent (one survey open at a time; each reminder once per person).
    pass


@shared_task(base=SurveyCycle, bind=True, name="analytics.tasks.psat_cycle")
def psat_cycle(self) -> dict:
    from .psat import survey_cycle

    return survey_cycle()


@shared_task(name="analytics.tasks.psat_cycle_all_tenants")
def psat_cycle_all_tenants() -> int:
    """Beat, daily: each tenant with partners runs its survey schedule."""
    from .services import tenants_with_partners

    return fan_out(psat_cycle, tenants_with_partners())
