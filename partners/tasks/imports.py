"""imports: Celery tasks (thin: restore tenant via TenantTask, call a service).

Both are idempotent twice over: TenantTask's claim skips a redelivered message, and the services
do nothing unless the import is still in the status the task was sent for.
"""

from __future__ import annotations

from celery import shared_task

from tenancy.tasks import TenantTask


@shared_task(base=TenantTask, bind=True, name="partners.tasks.imports.partner_import_validate_task")
def partner_import_validate_task(self, *, import_id: int) -> None:
    from ..models import PartnerImport
    from ..services.imports import partner_import_validate

    partner_import = PartnerImport.objects.filter(pk=import_id).first()
    if partner_import is not None:
        partner_import_validate(partner_import=partner_import)


@shared_task(base=TenantTask, bind=True, name="partners.tasks.imports.partner_import_run_task")
def partner_import_run_task(
    self, *, import_id: int, user_id: int | None = None, api_key_id: int | None = None
) -> None:
    from tenancy.access import Actor, actor_for_api_key, actor_for_user
    from tenancy.context import require_current_tenant
    from tenancy.models import ApiKey, User

    from ..models import PartnerImport
    from ..services.imports import partner_import_run

    partner_import = PartnerImport.objects.filter(pk=import_id).first()
    if partner_import is None:
        return
    tenant = require_current_tenant()
    # Who confirmed the import, for the audit log and the lifecycle history.
    key = ApiKey.objects.filter(pk=api_key_id).first() if api_key_id else None
    user = User.objects.filter(pk=user_id).first() if user_id else None
    if key is not None:
        actor = actor_for_api_key(key)
    elif user is not None:
        actor = actor_for_user(user, tenant)
    else:
        actor = Actor(tenant=tenant)
    partner_import_run(partner_import=partner_import, actor=actor)
