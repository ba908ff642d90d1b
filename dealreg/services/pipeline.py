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
    _apply(registration, {name: str(value or "").strip() for name, value in fields.items()}, actor)
    return registration


def _apply(registration: DealRegistration, values: dict[str, str], actor: Actor) -> dict:
    """Write what differs, audit it once; returns {field: [before, after]}."""
    changes = {}
    for name, value in values.items():
        if getattr(registration, name) != value:
            changes[name] = [getattr(registration, name), value]
            setattr(registration, name, value)
    if changes:
        registration.save(update_fields=list(changes))
        audit_record(
            actor=actor, action="deal.pipeline_updated", target=registration, changes=changes
        )
    return changes


# What a connected CRM may change (it owns the sales stage; the PRM owns status and lock).
CRM_OWNED_FIELDS = PIPELINE_FIELDS


@transaction.atomic
def deal_pipeline_from_crm(*, registration_uuid, source: str, **fields: Any) -> dict | None:
    """A change read from a connected CRM (integrations.crm): the CRM owns a registration's
    sales stage, next step and notes, so it applies without a person's permission check,
    audited as `source` ("CRM: Salesforce"). Values are trimmed to the fields' limits; an
    unknown stage is left out. Returns {field: [before, after]} for what changed ({} nothing),
    or None when the registration does not exist here."""
    registration = (
        DealRegistration.objects.select_for_update().filter(uuid=registration_uuid).first()
    )
    if registration is None:
        return None
    limits = {"sales_stage": 32, "next_step": 300, "manager_notes": 5000}
    values = {
        name: str(value).strip()[: limits[name]]
        for name, value in fields.items()
        if name in CRM_OWNED_FIELDS and value is not None
    }
    if values.get("sales_stage", SalesStage.QUALIFICATION) not in SalesStage.values:
        del values["sales_stage"]
    return _apply(registration, values, Actor(tenant=None, system_label=source))
