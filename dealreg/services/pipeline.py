"""Managers keep a registration's pipeline fields (stage, next step, notes) current."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy.access import Actor
from tenancy.audit import audit_record

from ..models import DealRegistration, SalesStage
from .outcomes import may_edit_pipeline

PIPELINE_FIELDS = ("sales_stage", "next_step", "manager_notes")


@transaction.atomic
def deal_pipeline_update(
    *, actor: Actor, registration: DealRegistration, **fields: Any
) -> DealRegistration:
    if not may_edit_pipeline(actor, registration):
        raise PermissionDenied(_("You may not edit this registration's pipeline."))
    unknown = set(fields) - set(PIPELINE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    registration = DealRegistration.objects.select_for_update().get(pk=registration.pk)
    errors = {}
    if "sales_stage" in fields and fields["sales_stage"] not in SalesStage.values:
        errors["sales_stage"] = _("Choose a stage.")
    if len(str(fields.get("next_step") or "")) > 300:
        errors["next_step"] = _("Keep the next step under 300 characters.")
    if len(str(fields.get("manager_notes") or "")) > 5000:
        errors["manager_notes"] = _("Keep the notes under 5000 characters.")
    if errors:
        raise ValidationError(errors)
    changes = {}
    for name, value in fields.items():
        value = str(value or "").strip()
        if getattr(registration, name) != value:
            changes[name] = [getattr(registration, name), value]
            setattr(registration, name, value)
    if changes:
        registration.save(update_fields=list(changes))
        audit_record(
            actor=actor, action="deal.pipeline_updated", target=registration, changes=changes
        )
    return registration
