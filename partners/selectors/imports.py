"""Reads for partner imports and the partner export (the same columns, so a file round-trips).

The export is read in chunks of primary keys and streamed: a CSV of every partner never sits in
memory whole. The chunk queries name their tenant explicitly because a streamed response is
consumed after the view returned, when the request's tenant context has already been reset.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.utils import translation

from tenancy.access import Actor, Perm
from tenancy.common.spreadsheets import FORMULA_PREFIXES, csv_safe  # noqa: F401 (for importer)
from tenancy.context import require_current_tenant

from ..models import (
    EmployeeBand,
    ImportStatus,
    PartnerContact,
    PartnerImport,
    PartnerOrganization,
    RevenueBand,
)

# The file format, in the order the export writes it (docs/partner-import.md describes each).
PARTNER_COLUMNS = (
    "name",
    "legal_name",
    "website",
    "hq_country",
    "regions",
    "industries",
    "employee_band",
    "revenue_band",
    "partner_type",
    "partner_types",
    "skills",
    "sales_motion",
    "co_marketing",
    "state",
    "channel_manager_email",
)
CONTACT_COLUMNS = ("contact_name", "contact_email", "contact_title", "contact_role")
COLUMNS = PARTNER_COLUMNS + CONTACT_COLUMNS
REQUIRED_COLUMNS = ("name", "partner_type")
LIST_COLUMNS = ("regions", "industries", "partner_types", "skills")

# Partner names come from a public form: the export neutralises cells a spreadsheet would run as a
# formula (tenancy/common/spreadsheets.py) and the import strips the apostrophe again.

EXPORT_CHUNK = 500


def progress_cache_key(import_uuid) -> str:
    return f"partners:import-progress:{import_uuid}"


# --- Imports -----------------------------------------------------------------------------------


def partner_imports_for(actor: Actor) -> QuerySet[PartnerImport]:
    """Imports are program administration: visible to roles that may import, else nothing."""
    if not actor.has(Perm.PROGRAM_MANAGE):
        return PartnerImport.objects.none()
    return PartnerImport.objects.select_related("created_by").order_by("-created_at")


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    pct: int
    running: bool


def import_progress(partner_import: PartnerImport) -> Progress:
    """Live progress while a task works on the import (from the cache, because the task's
    transaction hides its writes until it commits), else the counts saved on the row."""
    running = partner_import.status in (ImportStatus.VALIDATING, ImportStatus.IMPORTING)
    if running:
        try:
            live = cache.get(progress_cache_key(partner_import.uuid))
        except Exception:  # progress is a display: a cache outage shows 0 %, not an error page
            live = None
        if live and live.get("status") == partner_import.status:
            return Progress(live["done"], live["total"], min(100, live["pct"]), True)
        return Progress(0, partner_import.total_rows, 0, True)
    if partner_import.status == ImportStatus.DONE:
        total = partner_import.total_rows
        return Progress(total, total, 100, False)
    return Progress(
        partner_import.processed_rows,
        partner_import.total_rows,
        partner_import.progress_pct,
        False,
    )


# --- Export ------------------------------------------------------------------------------------


def export_partner_ids(partners: QuerySet[PartnerOrganization]) -> list[int]:
    """The primary keys of the partners to export, in the directory's order (one query)."""
    return list(partners.values_list("pk", flat=True))


def export_rows(partner_ids: list[int]) -> Iterator[list[str]]:
    """The header row, then one row per contact of each partner (a partner without contacts gets
    one row with empty contact cells). Two queries per EXPORT_CHUNK partners, run lazily."""
    # The tenant is taken now, while the caller's tenant context is still set.
    return _export_rows(require_current_tenant(), partner_ids)


def _export_rows(tenant, partner_ids: list[int]) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for start in range(0, len(partner_ids), EXPORT_CHUNK):
        chunk = partner_ids[start : start + EXPORT_CHUNK]
        # NOTE: explicit tenant filter: a streamed response runs after the tenant context ended.
        partners = {
            p.pk: p
            for p in PartnerOrganization.objects.unscoped()
            .filter(tenant=tenant, pk__in=chunk)
            .select_related("channel_manager")
        }
        contacts: dict[int, list[PartnerContact]] = {}
        for contact in (
            PartnerContact.objects.unscoped()
            .filter(tenant=tenant, partner_id__in=chunk)
            .order_by("partner_id", "created_at", "pk")
        ):
            contacts.setdefault(contact.partner_id, []).append(contact)
        with translation.override("en"):  # band labels in one language, whoever exports
            for pk in chunk:
                partner = partners.get(pk)
                if partner is None:  # deleted between the two queries
                    continue
                partner_cells = _partner_cells(partner)
                for contact in contacts.get(pk) or [None]:
                    yield [_cell(v) for v in partner_cells + _contact_cells(contact)]


def _partner_cells(p: PartnerOrganization) -> list[Any]:
    return [
        p.name,
        p.legal_name,
        p.website,
        p.hq_country.code if p.hq_country else "",
        join_list(p.regions),
        join_list(p.industries),
        str(EmployeeBand(p.employee_band).label) if p.employee_band else "",
        str(RevenueBand(p.revenue_band).label) if p.revenue_band else "",
        p.partner_type,
        join_list(p.partner_types),
        join_list(p.skills),
        p.sales_motion,
        "yes" if p.co_marketing else "no",
        p.state,
        p.channel_manager.email if p.channel_manager else "",
    ]


def _contact_cells(contact: PartnerContact | None) -> list[str]:
    if contact is None:
        return ["", "", "", ""]
    return [contact.name, contact.email, contact.title, contact.role]


def join_list(values: Iterable[Any]) -> str:
    """Semicolon-separated. A single value containing a comma gets a trailing semicolon, so the
    import (which splits on commas when a cell has no semicolon) reads it back as one value."""
    items = [str(v) for v in values or [] if str(v).strip()]
    text = "; ".join(items)
    if len(items) == 1 and "," in items[0]:
        text += ";"
    return text


def _cell(value: Any) -> str:
    return csv_safe(value)
