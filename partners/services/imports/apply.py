"""Partner import, step 3: confirming a checked file (`partner_import_start`) and writing it in one
transaction (`partner_import_run`): everything or, on any failure, nothing."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.tasks import enqueue

from ...models import (
    ContactRole,
    ImportStatus,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerImport,
    PartnerOrganization,
    PartnerSource,
)
from .progress import clear_progress, report_progress
from .read import ImportFileError
from .validate import WRITE_BATCH, PartnerPlan, Validation, validate_file

logger = logging.getLogger(__name__)


@transaction.atomic
def partner_import_start(*, actor: Actor, partner_import: PartnerImport) -> PartnerImport:
    """Confirm a checked file: import it in the background (again after a failure)."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    # A conditional update, so a double click starts one import, not two.
    started = PartnerImport.objects.filter(
        pk=partner_import.pk, status__in=(ImportStatus.READY, ImportStatus.FAILED)
    ).update(status=ImportStatus.IMPORTING, processed_rows=0, errors=[], finished_at=None)
    if not started:
        raise ValidationError(
            _("This file is not ready to import (its status is %(status)s).")
            % {"status": partner_import.get_status_display()}
        )
    partner_import.refresh_from_db()
    report_progress(partner_import, done=0, total=partner_import.total_rows, pct=0)
    from ...tasks.imports import partner_import_run_task

    enqueue(
        partner_import_run_task,
        tenant=partner_import.tenant,
        import_id=partner_import.pk,
        user_id=actor.user.pk if actor.user else None,
        api_key_id=actor.api_key.pk if actor.api_key else None,
    )
    return partner_import


# --- Progress ----------------------------------------------------------------------------------


class _NoLongerValid(Exception):
    def __init__(self, result: Validation) -> None:
        self.result = result


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _apply(
    plans: list[PartnerPlan],
    *,
    partner_import: PartnerImport,
    actor: Actor,
    total: int,
    pct_from: int,
) -> dict[str, int]:
    """Write every plan, WRITE_BATCH partners at a time, with bulk inserts and updates."""
    tenant = require_current_tenant()
    now = timezone.now()
    reason = _("Imported from %(file)s") % {"file": partner_import.original_name}
    written_rows = 0
    counts = {"created": 0, "updated": 0, "contacts_created": 0, "contacts_updated": 0}
    for chunk in _chunks(plans, WRITE_BATCH):
        new = [p for p in chunk if p.existing is None]
        for plan in new:
            values = dict(plan.values)
            if not values.get("partner_types"):
                values["partner_types"] = [values["partner_type"]]
            state = values.get("state", LifecycleState.PROSPECT)
            plan.instance = PartnerOrganization(
                tenant=tenant,
                source=PartnerSource.IMPORT,
                state_changed_at=now,
                created_at=now,
                is_active=state not in (LifecycleState.SUSPENDED, LifecycleState.RETIRED),
                **values,
            )
        PartnerOrganization.objects.bulk_create([p.instance for p in new])
        LifecycleEvent.objects.bulk_create(
            LifecycleEvent(
                tenant=tenant,
                partner=p.instance,
                from_state="",
                to_state=p.instance.state,
                reason=reason,
                by=actor.user,
                by_label=actor.label,
                created_at=now,
            )
            for p in new
        )
        changed = [p for p in chunk if p.existing is not None and p.changed]
        for plan in changed:
            for name in plan.changed:
                setattr(plan.existing, name, plan.values[name])
        _update_rows(PartnerOrganization, [(p.existing, p.changed) for p in changed])
        new_contacts, changed_contacts = [], []
        _one_primary_each(chunk)
        for plan in chunk:
            partner = plan.instance or plan.existing
            for contact in plan.contacts:
                if contact.existing is None:
                    new_contacts.append(
                        PartnerContact(
                            tenant=tenant, partner=partner, created_at=now, **contact.values
                        )
                    )
                elif contact.changed:
                    for name in contact.changed:
                        setattr(contact.existing, name, contact.values[name])
                    changed_contacts.append((contact.existing, contact.changed))
        PartnerContact.objects.bulk_create(new_contacts)
        _update_rows(PartnerContact, changed_contacts)
        counts["created"] += len(new)
        counts["updated"] += sum(1 for p in chunk if p.action == "update")
        counts["contacts_created"] += len(new_contacts)
        counts["contacts_updated"] += len(changed_contacts)
        written_rows += sum(p.rows for p in chunk)
        report_progress(
            partner_import,
            done=min(written_rows, total),
            total=total,
            pct=pct_from + (100 - pct_from) * min(written_rows, total) / max(total, 1),
        )
    return counts


def _one_primary_each(chunk: list[PartnerPlan]) -> None:
    """Keep one primary contact per partner (a database constraint) as the file's contacts land.

    A contact the file marks primary takes over: the partner's current primary becomes "other".
    Without a role column, a partner's first new contact is primary when it has none yet; the
    others are "other". (Validation refuses two primary contacts for one partner in a file.)
    """
    existing_ids = [p.existing.pk for p in chunk if p.existing is not None]
    has_primary = set(
        PartnerContact.objects.filter(
            partner_id__in=existing_ids, role=ContactRole.PRIMARY
        ).values_list("partner_id", flat=True)
    )
    takes_over: list[int] = []
    keep: list[int] = []
    for plan in chunk:
        marked = [c for c in plan.contacts if c.values.get("role") == ContactRole.PRIMARY]
        if marked:
            if plan.existing is not None:
                takes_over.append(plan.existing.pk)
                keep.extend(c.existing.pk for c in marked if c.existing is not None)
            continue
        partner_id = plan.existing.pk if plan.existing is not None else None
        if partner_id in has_primary:
            continue
        first_new = next(
            (c for c in plan.contacts if c.existing is None and "role" not in c.values), None
        )
        if first_new is not None:
            first_new.values["role"] = ContactRole.PRIMARY
    if takes_over:
        PartnerContact.objects.filter(partner_id__in=takes_over, role=ContactRole.PRIMARY).exclude(
            pk__in=keep
        ).update(role=ContactRole.OTHER)


def _update_rows(model, rows: list[tuple[Any, tuple[str, ...]]]) -> None:
    """Save the given fields of already-loaded rows: one parametrised UPDATE per set of changed
    fields, run with executemany.

    NOTE: Django's bulk_update builds a CASE WHEN per field and row; for thousands of rows its
    Python cost dominated the import (tens of seconds for 5,000 updated partners). Values are
    still converted by each model field (get_db_prep_save), and the tenant is in the WHERE.
    """
    if not rows:
        return
    tenant = require_current_tenant()
    quote = connection.ops.quote_name
    meta = model._meta
    by_fields: dict[tuple[str, ...], list] = {}
    for obj, names in rows:
        by_fields.setdefault(tuple(sorted(names)), []).append(obj)
    with connection.cursor() as cursor:
        for names, objs in by_fields.items():
            fields = [meta.get_field(name) for name in names]
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            tenant_column = quote(meta.get_field("tenant").column)
            # Identifiers only come from the model's metadata (quoted); values are parameters.
            sql = (
                f"UPDATE {quote(meta.db_table)} SET {assignments} "  # noqa: S608
                f"WHERE {quote(meta.pk.column)} = %s AND {tenant_column} = %s"
            )
            cursor.executemany(
                sql,
                [
                    [f.get_db_prep_save(getattr(obj, f.attname), connection) for f in fields]
                    + [obj.pk, tenant.pk]
                    for obj in objs
                ],
            )


@transaction.atomic
def partner_import_run(*, partner_import: PartnerImport, actor: Actor) -> PartnerImport:
    """Import a confirmed file in one transaction: everything or, on any failure, nothing.

    The file is checked again first: the database may have changed since the preview (a partner
    renamed, a manager removed). Failures are recorded on the import and not raised, so the task
    is not retried into the same failure; the user may start it again.
    """
    partner_import = PartnerImport.objects.select_for_update().get(pk=partner_import.pk)
    if partner_import.status != ImportStatus.IMPORTING:
        return partner_import
    counts: dict[str, int] = {}
    try:
        with transaction.atomic():  # a savepoint: a failure rolls back all partner writes
            result = validate_file(partner_import, pct_from=0, pct_to=30)
            if result.errors:
                raise _NoLongerValid(result)
            counts = _apply(
                result.plans,
                partner_import=partner_import,
                actor=actor,
                total=result.total_rows,
                pct_from=30,
            )
            summary = result.counts()
            partner_import.total_rows = result.total_rows
            audit_record(
                actor=actor,
                action="partners.imported",
                target=partner_import,
                changes={
                    "file": partner_import.original_name,
                    "rows": result.total_rows,
                    "unchanged": summary["unchanged"],
                    **counts,
                },
            )
    except _NoLongerValid as stale:
        partner_import.status = ImportStatus.INVALID
        partner_import.errors = stale.result.errors
        partner_import.total_rows = partner_import.processed_rows = stale.result.total_rows
        partner_import.preview = {}
        partner_import.created_count = partner_import.updated_count = 0
    except ImportFileError as error:
        _mark_failed(partner_import, str(error))
    except DatabaseError as error:
        logger.exception("Partner import %s failed in the database", partner_import.uuid)
        _mark_failed(
            partner_import,
            _("The database refused the changes (%(error)s). Nothing was imported.")
            % {"error": str(error).splitlines()[0][:200] if str(error) else type(error).__name__},
        )
    except Exception as error:  # record every failure: the user must see why nothing happened
        logger.exception("Partner import %s failed", partner_import.uuid)
        _mark_failed(
            partner_import,
            _("Unexpected error (%(error)s). Nothing was imported.")
            % {"error": type(error).__name__},
        )
    else:
        partner_import.status = ImportStatus.DONE
        partner_import.processed_rows = partner_import.total_rows
        partner_import.created_count = counts["created"]
        partner_import.updated_count = counts["updated"]
        partner_import.preview = {**(partner_import.preview or {}), "result": counts}
        _rescore_after_commit(partner_import.tenant)
        _place_in_tiers_after_commit(partner_import.tenant)
    partner_import.finished_at = timezone.now()
    partner_import.save()
    clear_progress(partner_import)
    return partner_import


def _mark_failed(partner_import: PartnerImport, reason: str) -> None:
    partner_import.status = ImportStatus.FAILED
    partner_import.processed_rows = 0
    partner_import.created_count = partner_import.updated_count = 0
    partner_import.errors = [{"row": None, "field": "", "message": reason}]


def _rescore_after_commit(tenant) -> None:
    """Score the imported partners against the IPP once the import has committed.

    NOTE: the IPP area owns scoring (`partners.services.ipp.score_tenant`, run in the background
    by `partners.tasks.ipp.ipp_recompute_tenant`) and was written alongside this module. Scoring
    is a follow-up, never part of the import: if it is missing or fails, the import stands and the
    next recompute scores these partners.
    """

    def rescore() -> None:
        try:
            from ...tasks.ipp import ipp_recompute_tenant
        except ImportError:
            logger.warning("IPP scoring is not available; imported partners stay unscored")
            return
        try:
            ipp_recompute_tenant.apply_async(kwargs={"tenant_id": tenant.pk})
        except Exception:
            logger.exception("Could not schedule IPP scoring after a partner import")

    transaction.on_commit(rescore, robust=True)


def _place_in_tiers_after_commit(tenant) -> None:
    """Imported contracted/active partners get their tier once the import commits (the tenant's
    evaluation, in the background), not at the next scheduled run."""
    from ...services.tiers import EVALUATED_STATES
    from ...tasks.tiers import evaluate_tenant_tiers

    if PartnerOrganization.objects.filter(
        tier__isnull=True, state__in=EVALUATED_STATES, tenant=tenant
    ).exists():
        enqueue(evaluate_tenant_tiers, tenant=tenant)
