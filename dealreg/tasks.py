"""Deal-registration Celery tasks (thin: restore the tenant via TenantTask, call a service)."""

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(
    base=TenantTask,
    bind=True,
    name="dealreg.tasks.send_deal_decision_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def send_deal_decision_email(self, *, registration_id: int) -> None:
    """Tell the partner's submitter that their registration was approved or rejected."""
    from .services.decisions import decision_email_send

    decision_email_send(registration_id=registration_id)
