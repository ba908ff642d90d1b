"""organization: Celery tasks (thin: restore tenant via TenantTask, call a service)."""

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(
    base=TenantTask,
    bind=True,
    name="partners.tasks.organization.send_application_decision_email",
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=60,
    max_retries=5,
)
def send_application_decision_email(self, *, application_id: int) -> None:
    """Tell an applicant that their application was approved (next steps) or rejected (why)."""
    from ..services.organization import application_decision_email_send

    application_decision_email_send(application_id=application_id)
