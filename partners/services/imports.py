"""Importing partners and their contacts from CSV/XLSX, all-or-nothing per file.

Flow: upload (`partner_import_create`: size, extension and *content* checked, stored) → background
validation (`partner_import_validate`): every row is checked before anything is written → status
`invalid` (errors per row, in plain words; nothing written, the user fixes the file and uploads
again) or `ready` (a preview and the counts) → the user confirms (`partner_import_start`) →
background import (`partner_import_run`): the file is validated again against the database as it
is now, then written in ONE transaction → `done` (counts, one audit event, IPP rescoring after
commit) or `failed` (the reason; everything rolled back).

Format: see docs/partner-import.md. Rows are matched to existing partners by website domain,
else by name (case-insensitive), and updated; otherwise created. Rows with the same name are one
partner: the first row carries the partner's columns, the following ones add contacts. A column
missing from the file leaves that field alone; a blank cell in a present column clears it.

Reading uses the csv module and openpyxl directly rather than tablib's Dataset loaders: those
drop blank lines (the row numbers in our messages would stop matching the user's spreadsheet) and
reject ragged rows. tablib writes the XLSX export. django-import-export's Resources save row by
row with technical messages; 10,000 rows need bulk writes and plain words, hence the explicit
column spec here.

Progress: both tasks run inside TenantTask's transaction, and the import's writes sit in a
savepoint inside it so that a failure can roll them back and still record `failed`. Nothing the
task writes to the PartnerImport row is visible to other connections before the task commits, so
live progress goes to the Django cache (Redis, or the file cache — both shared by web and worker
processes), keyed by the import's uuid; the status page reads it while the row says
validating/importing, and the final counts are saved on the row in the task's commit. Progress is
informational only: a lost cache entry shows 0 % until the task finishes, never a wrong state.

NOTE: the uploaded file is read again by the worker through Django's default storage, so web and
worker processes must share it (the same disk, or an object store in production).
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import URLValidator, validate_email
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_countries import countries

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.models import Membership
from tenancy.roles import Role
from tenancy.tasks import enqueue
from tenancy.uploads import sniff_upload

from ..models import (
    ContactRole,
    EmployeeBand,
    ImportStatus,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerImport,
    PartnerOrganization,
    PartnerSource,
    PartnerType,
    Region,
    RevenueBand,
    SalesMotion,
)
from ..selectors.imports import (
    COLUMNS,
    CONTACT_COLUMNS,
    FORMULA_PREFIXES,
    LIST_COLUMNS,
    PARTNER_COLUMNS,
    REQUIRED_COLUMNS,
    progress_cache_key,
)
from .organization import normalize_domain

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_ROWS = 50_000
MAX_ERRORS = 1000  # stored and shown; a count of the rest follows
PREVIEW_ROWS = 20
WRITE_BATCH = 500
PROGRESS_EVERY = 250  # rows between two progress reports
PROGRESS_TTL = 24 * 3600
EXTENSIONS = ("csv", "xlsx")
# Who may be a partner's channel manager (the profile form's rule too).
MANAGER_ROLES = (Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN)


class ImportFileError(Exception):
    """The file cannot be read as a table; the message says why, in plain words."""


# --- Reading files -------------------------------------------------------------------------------


def file_extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def read_table(data: bytes, ext: str, *, header_only: bool = False) -> list[tuple[int, list[str]]]:
    """(row number as the spreadsheet shows it, cells as text) for every row, header first."""
    if ext == "xlsx":
        return _read_xlsx(data, header_only=header_only)
    return _read_csv(data, header_only=header_only)


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in data:
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                continue
    raise ImportFileError(
        _("This is not a CSV text file. Save it from your spreadsheet as “CSV UTF-8”.")
    )


def _read_csv(data: bytes, *, header_only: bool) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    if "\x00" in text:
        raise ImportFileError(
            _("This is not a CSV text file. Save it from your spreadsheet as “CSV UTF-8”.")
        )
    first_line = text.split("\n", 1)[0]
    # Spreadsheets in many locales write ";" (or tabs) between cells: take the most frequent.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(reader, start=1):
            rows.append((number, [cell.strip() for cell in cells]))
            if header_only:
                break
    except csv.Error as error:
        raise ImportFileError(
            _("Row %(row)s cannot be read as CSV (%(problem)s).")
            % {"row": len(rows) + 1, "problem": error}
        ) from error
    return rows


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(data: bytes, *, header_only: bool) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    not_xlsx = _("This is not a readable Excel workbook (.xlsx).")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportFileError(not_xlsx)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign zip
        raise ImportFileError(not_xlsx) from error
    rows: list[tuple[int, list[str]]] = []
    try:
        sheet = workbook.active
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            rows.append((number, [_xlsx_text(v) for v in values]))
            if header_only:
                break
    except Exception as error:
        raise ImportFileError(not_xlsx) from error
    finally:
        workbook.close()
    return rows


def normalise_header(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().strip("*").strip().lower())


# --- Upload ------------------------------------------------------------------------------------


def check_upload(*, name: str, size: int) -> None:
    """Refuse a file by its name and size, before reading it."""
    if file_extension(name) not in EXTENSIONS:
        raise ValidationError({"file": _("Upload a .csv or .xlsx file.")})
    if not size:
        raise ValidationError({"file": _("The file is empty.")})
    if size > MAX_UPLOAD_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than %(mb)s MB.") % {"mb": MAX_UPLOAD_BYTES >> 20}}
        )


def _not_a(ext: str) -> str:
    if ext == "xlsx":
        return _("This is not a readable Excel workbook (.xlsx).")
    return _("This is not a CSV text file. Save it from your spreadsheet as “CSV UTF-8”.")


def check_content(*, name: str, data: bytes) -> str:
    """Refuse what is not a CSV/XLSX table of partners, whatever its name says; return the
    extension."""
    check_upload(name=name, size=len(data))
    ext = file_extension(name)
    try:
        rows = read_table(data, ext, header_only=True)
    except ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    headers = {normalise_header(cell) for cell in rows[0][1]} if rows else set()
    if not headers & set(COLUMNS):
        raise ValidationError(
            {
                "file": _(
                    "This does not look like a partner list: the first row must hold the column "
                    "names (for example name, website, partner_type)."
                )
            }
        )
    return ext


@transaction.atomic
def partner_import_create(*, actor: Actor, upload) -> PartnerImport:
    """Store an uploaded file (a Django UploadedFile) and check every row in the background."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    name = upload.name or ""
    check_upload(name=name, size=upload.size)  # before reading a byte of it
    ext = file_extension(name)
    # The content must be what the name says (the one upload check of the app, by magic bytes).
    sniff_upload(upload, allowed={ext}, max_bytes=MAX_UPLOAD_BYTES, message=_not_a(ext))
    data = upload.read()
    ext = check_content(name=name, data=data)
    partner_import = PartnerImport(
        tenant=require_current_tenant(),
        original_name=name[-255:],
        status=ImportStatus.VALIDATING,
        created_by=actor.user,
    )
    # Stored under the import's uuid: the user's file name is only shown, never used as a path.
    partner_import.file.save(f"{partner_import.uuid}.{ext}", ContentFile(data), save=False)
    partner_import.save()
    from ..tasks.imports import partner_import_validate_task

    enqueue(partner_import_validate_task, tenant=partner_import.tenant, import_id=partner_import.pk)
    return partner_import


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
    _report(partner_import, done=0, total=partner_import.total_rows, pct=0)
    from ..tasks.imports import partner_import_run_task

    enqueue(
        partner_import_run_task,
        tenant=partner_import.tenant,
        import_id=partner_import.pk,
        user_id=actor.user.pk if actor.user else None,
        api_key_id=actor.api_key.pk if actor.api_key else None,
    )
    return partner_import


# --- Progress ----------------------------------------------------------------------------------


def _report(partner_import: PartnerImport, *, done: int, total: int, pct: float) -> None:
    """Publish progress for the status page. Never fails the work: progress is only a display."""
    try:
        cache.set(
            progress_cache_key(partner_import.uuid),
            {"status": partner_import.status, "done": done, "total": total, "pct": int(pct)},
            timeout=PROGRESS_TTL,
        )
    except Exception:  # a cache outage must not roll back an import
        logger.warning("Could not publish import progress", exc_info=True)


def _clear_progress(partner_import: PartnerImport) -> None:
    try:
        cache.delete(progress_cache_key(partner_import.uuid))
    except Exception:  # the entry expires on its own
        logger.warning("Could not clear import progress", exc_info=True)


# --- Validation ----------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: int | None, field: str, message: str) -> None:
        self.count += 1
        if len(self.items) < MAX_ERRORS:
            self.items.append({"row": row, "field": field, "message": message})

    def as_list(self) -> list[dict[str, Any]]:
        items = sorted(self.items, key=lambda e: (e["row"] or 0, COLUMN_ORDER.get(e["field"], 99)))
        if self.count > len(self.items):
            more = self.count - len(self.items)
            items.append(
                {
                    "row": None,
                    "field": "",
                    "message": _("…and %(count)s more problems not listed.") % {"count": more},
                }
            )
        return items

    def __bool__(self) -> bool:
        return self.count > 0


COLUMN_ORDER = {name: i for i, name in enumerate(COLUMNS)}


def _quote(text: str) -> str:
    return "'" + (text if len(text) <= 60 else text[:57] + "...") + "'"


@lru_cache(maxsize=4096)
def _norm_choice(text: str) -> str:
    text = text.lower().replace("–", "-").replace("—", "-")
    return re.sub(r"[\s,$]+", "", text)


def _choice_table(choices, *, split_slash: bool = False) -> dict[str, str]:
    """Key or label (English and the active language) → key."""
    table: dict[str, str] = {}
    labels: list[tuple[str, str]] = []
    for value, label in choices.choices:
        labels.append((value, str(label)))
        with translation.override("en"):
            labels.append((value, str(label)))
    for value, _label in choices.choices:
        table[_norm_choice(value)] = value
    for value, label in labels:
        table.setdefault(_norm_choice(label), value)
        if split_slash:
            for part in label.split("/"):
                table.setdefault(_norm_choice(part), value)
    return table


def _choice_hint(choices) -> str:
    return ", ".join(choices.values)


@lru_cache(maxsize=1)
def _country_table() -> dict[str, str]:
    table: dict[str, str] = {}
    with translation.override("en"):
        for country in countries:
            table[country.code.lower()] = country.code
            table[country.name.lower()] = country.code
            alpha3 = countries.alpha3(country.code)
            if alpha3:
                table[alpha3.lower()] = country.code
    for alias, code in {
        "usa": "US",
        "united states": "US",
        "america": "US",
        "uk": "GB",
        "great britain": "GB",
        "england": "GB",
        "scotland": "GB",
        "wales": "GB",
        "czech republic": "CZ",
        "the netherlands": "NL",
        "holland": "NL",
        "turkey": "TR",
        "uae": "AE",
        "korea": "KR",
        "republic of korea": "KR",
        "ivory coast": "CI",
        "cape verde": "CV",
        "swaziland": "SZ",
        "macedonia": "MK",
        "russian federation": "RU",
        "viet nam": "VN",
    }.items():
        table.setdefault(alias, code)
    return table


def split_list(text: str) -> list[str]:
    """Semicolons separate values; commas too when the cell has no semicolon."""
    parts = text.split(";") if ";" in text else text.split(",")
    seen: dict[str, str] = {}
    for part in parts:
        part = part.strip()
        if part and part.casefold() not in seen:
            seen[part.casefold()] = part
    return list(seen.values())


_url_validator = URLValidator(schemes=["http", "https"])


def normalise_website(text: str) -> str:
    """'acme.com' → 'https://acme.com'; a value with a scheme is kept as written."""
    if "://" not in text and not re.match(r"^[a-z][a-z0-9+.\-]*:/", text, re.I):
        text = "https://" + text
    return text


# The same rule as the profile form's (partners.services.organization): a dotted host name.
_DOMAIN_RE = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


@dataclass
class _Row:
    number: int
    cells: dict[str, str]  # column → text, for the file's columns
    values: dict[str, Any] = field(default_factory=dict)  # column → parsed, non-blank valid cells
    bad: set[str] = field(default_factory=set)  # columns whose cell has an error

    def has(self, column: str) -> bool:
        return bool(self.cells.get(column))

    @property
    def has_contact(self) -> bool:
        return any(self.cells.get(c) for c in CONTACT_COLUMNS)


@dataclass
class ContactPlan:
    row: int
    values: dict[str, str]  # model field → value
    existing: PartnerContact | None = None
    changed: tuple[str, ...] = ()


@dataclass
class PartnerPlan:
    row: int
    rows: int  # how many file rows this partner spans
    values: dict[str, Any]  # model field → value, for the file's columns
    contacts: list[ContactPlan]
    existing: PartnerOrganization | None = None
    changed: tuple[str, ...] = ()
    instance: PartnerOrganization | None = None

    @property
    def action(self) -> str:
        if self.existing is None:
            return "new"
        if self.changed or any(c.existing is None or c.changed for c in self.contacts):
            return "update"
        return "unchanged"


@dataclass
class Validation:
    total_rows: int
    errors: list[dict[str, Any]]
    plans: list[PartnerPlan]

    def counts(self) -> dict[str, int]:
        actions = [p.action for p in self.plans]
        contacts = [c for p in self.plans for c in p.contacts]
        return {
            "partners": len(self.plans),
            "new": actions.count("new"),
            "updated": actions.count("update"),
            "unchanged": actions.count("unchanged"),
            "contacts_new": sum(1 for c in contacts if c.existing is None),
            "contacts_updated": sum(1 for c in contacts if c.existing is not None and c.changed),
        }

    def preview(self) -> dict[str, Any]:
        """The counts and the file's first PREVIEW_ROWS partner/contact rows, as they will land."""
        entries = []
        for plan in self.plans:
            entries.append((plan.row, plan, plan.contacts[0] if plan.contacts else None, True))
            entries.extend((c.row, plan, c, False) for c in plan.contacts[1:])
        rows = []
        for row, plan, contact, first in sorted(entries, key=lambda e: e[0])[:PREVIEW_ROWS]:
            manager = plan.values.get("channel_manager")
            state = plan.values.get("state") or (
                plan.existing.state if plan.existing else LifecycleState.PROSPECT
            )
            rows.append(
                {
                    "row": row,
                    "action": plan.action if first else "contact",
                    "name": plan.values["name"],
                    "website": plan.values.get("website", ""),
                    "partner_type": _label(PartnerType, plan.values.get("partner_type")),
                    "state": _label(LifecycleState, state),
                    "channel_manager": manager.email if manager else "",
                    "contact": (
                        f"{contact.values['name']} <{contact.values['email']}>" if contact else ""
                    ),
                }
            )
        return {**self.counts(), "rows": rows}


def _label(choices, value: str | None) -> str:
    return str(choices(value).label) if value else ""


class _Validator:
    """Checks a table of rows against the column spec and the current tenant's data."""

    def __init__(self) -> None:
        self.errors = _Errors()
        self.types = _choice_table(PartnerType, split_slash=True)
        self.states = _choice_table(LifecycleState)
        self.motions = _choice_table(SalesMotion, split_slash=True)
        self.regions = _choice_table(Region)
        self.revenue = _choice_table(RevenueBand)
        self.employees = _choice_table(EmployeeBand)
        self.contact_roles = _choice_table(ContactRole)
        self.countries = _country_table()
        self.managers = {
            m.user.email.casefold(): m.user
            for m in Membership.objects.filter(
                is_active=True, role__in=MANAGER_ROLES
            ).select_related("user")
        }
        self.parsers: dict[str, Callable[[str], Any]] = {
            "name": self._text("name", PartnerOrganization),
            "legal_name": self._text("legal_name", PartnerOrganization),
            "website": self._website,
            "hq_country": self._country,
            "regions": self._list(self._region),
            "industries": self._list(self._list_item),
            "employee_band": self._employee_band,
            "revenue_band": self._choice(self.revenue, RevenueBand, _("a revenue band")),
            "partner_type": self._choice(self.types, PartnerType, _("a partner type")),
            "partner_types": self._list(self._choice(self.types, PartnerType, _("a partner type"))),
            "skills": self._list(self._list_item),
            "sales_motion": self._choice(self.motions, SalesMotion, _("a sales motion")),
            "co_marketing": self._yes_no,
            "state": self._choice(self.states, LifecycleState, _("a lifecycle state")),
            "channel_manager_email": self._manager,
            "contact_name": self._text("name", PartnerContact),
            "contact_email": self._email,
            "contact_title": self._text("title", PartnerContact),
            "contact_role": self._choice(self.contact_roles, ContactRole, _("a contact role")),
        }

    # -- cell parsers: text in, value out, ValueError(plain message) on a bad cell ---------------

    def _text(self, name: str, model) -> Callable[[str], str]:
        limit = _max_length(model, name)

        def parse(text: str) -> str:
            if len(text) > limit:
                raise ValueError(
                    _("This is too long (at most %(max)s characters).") % {"max": limit}
                )
            return text

        return parse

    def _website(self, text: str) -> str:
        url = normalise_website(text)
        try:
            _url_validator(url)
        except ValidationError:
            raise ValueError(
                _("%(value)s is not a valid web address.") % {"value": _quote(text)}
            ) from None
        if not _DOMAIN_RE.match(normalize_domain(url)):
            raise ValueError(_("%(value)s is not a valid web address.") % {"value": _quote(text)})
        if len(url) > _max_length(PartnerOrganization, "website"):
            raise ValueError(
                _("%(value)s is too long for a web address.") % {"value": _quote(text)}
            )
        return url

    def _country(self, text: str) -> str:
        code = self.countries.get(text.strip().lower())
        if code is None:
            raise ValueError(
                _(
                    "%(value)s is not a country we know. Use an ISO code like DE or an English "
                    "name like Germany."
                )
                % {"value": _quote(text)}
            )
        return code

    def _region(self, text: str) -> str:
        region = self.regions.get(_norm_choice(text))
        if region is None:
            raise ValueError(
                _("%(value)s is not a region. Use %(choices)s.")
                % {"value": _quote(text), "choices": _choice_hint(Region)}
            )
        return region

    def _list_item(self, text: str) -> str:
        if len(text) > 100:
            raise ValueError(
                _("%(value)s is too long (at most 100 characters).") % {"value": _quote(text)}
            )
        return text

    def _list(self, item: Callable[[str], str]) -> Callable[[str], list[str]]:
        def parse(text: str) -> list[str]:
            values: list[str] = []
            for part in split_list(text):
                value = item(part)
                if value not in values:
                    values.append(value)
            return values

        return parse

    def _choice(self, table: dict[str, str], choices, what: str) -> Callable[[str], str]:
        def parse(text: str) -> str:
            value = table.get(_norm_choice(text))
            if value is None:
                raise ValueError(
                    _("%(value)s is not %(what)s we know. Use one of: %(choices)s.")
                    % {"value": _quote(text), "what": what, "choices": _choice_hint(choices)}
                )
            return value

        return parse

    def _employee_band(self, text: str) -> str:
        band = self.employees.get(_norm_choice(text))
        if band is not None:
            return band
        digits = re.sub(r"[\s,.']", "", text)
        if digits.isdigit() and int(digits) > 0:  # a head count: the band it falls in
            return max((b for b in EmployeeBand.values if int(b) <= int(digits)), key=int)
        labels = ", ".join(str(label) for label in EmployeeBand.labels)
        raise ValueError(
            _(
                "%(value)s is not an employee band. Use a head count (e.g. 120) or one of: "
                "%(bands)s."
            )
            % {"value": _quote(text), "bands": labels}
        )

    def _yes_no(self, text: str) -> bool:
        lowered = text.strip().lower()
        if lowered in {"yes", "y", "true", "1", "x"}:
            return True
        if lowered in {"no", "n", "false", "0"}:
            return False
        raise ValueError(_("%(value)s is not yes or no.") % {"value": _quote(text)})

    def _email(self, text: str) -> str:
        try:
            validate_email(text)
        except ValidationError:
            raise ValueError(
                _("%(value)s is not a valid email address.") % {"value": _quote(text)}
            ) from None
        if len(text) > _max_length(PartnerContact, "email"):
            raise ValueError(_("This is too long for an email address."))
        return text

    def _manager(self, text: str):
        user = self.managers.get(text.strip().casefold())
        if user is None:
            raise ValueError(
                _(
                    "%(value)s is not a channel manager or program admin of this program (check "
                    "the email address)."
                )
                % {"value": _quote(text)}
            )
        return user

    # -- the table ------------------------------------------------------------------------------

    def header(self, cells: list[str]) -> list[str | None] | None:
        """Column name per position; None for a blank header cell. None when unusable."""
        columns: list[str | None] = []
        seen: set[str] = set()
        for cell in cells:
            name = normalise_header(cell)
            if not name:
                columns.append(None)
                continue
            if name not in COLUMN_ORDER:
                self.errors.add(
                    1,
                    cell,
                    _(
                        "%(column)s is not a column we know (is it misspelt?). The columns are: "
                        "%(columns)s."
                    )
                    % {"column": _quote(cell), "columns": ", ".join(COLUMNS)},
                )
            elif name in seen:
                self.errors.add(1, name, _("This column appears twice."))
            seen.add(name)
            columns.append(name)
        for required in REQUIRED_COLUMNS:
            if required not in seen:
                self.errors.add(1, required, _("The required column is missing."))
        return None if self.errors else columns

    def parse_row(self, number: int, columns: list[str | None], cells: list[str]) -> _Row | None:
        row = _Row(number=number, cells={})
        for position, column in enumerate(columns):
            if column is None:
                continue
            text = cells[position] if position < len(cells) else ""
            # An apostrophe in front of = + - @ was added by our export to keep spreadsheets from
            # running the cell as a formula.
            if text.startswith("'") and text[1:].startswith(FORMULA_PREFIXES):
                text = text[1:]
            row.cells[column] = text
        extra = [c for c in cells[len(columns) :] if c]
        if not any(row.cells.values()) and not extra:
            return None  # a blank line
        if extra:
            self.errors.add(number, "", _("This row has more cells than the header has columns."))
        for column, text in row.cells.items():
            if not text:
                continue
            try:
                row.values[column] = self.parsers[column](text)
            except ValueError as error:
                row.bad.add(column)
                self.errors.add(number, column, str(error))
        if not row.has("name"):
            self.errors.add(number, "name", _("A name is required."))
        if row.has_contact and not (row.has("contact_name") and row.has("contact_email")):
            for column, what in (("contact_name", "name"), ("contact_email", "email")):
                if not row.has(column):
                    label = _("name") if what == "name" else _("email address")
                    self.errors.add(
                        number,
                        column,
                        _("A contact needs a %(what)s (or leave all contact cells blank).")
                        % {"what": label},
                    )
        return row

    # -- from rows to partners --------------------------------------------------------------------

    def plans(self, rows: list[_Row], columns: set[str]) -> list[PartnerPlan]:
        groups: dict[str, list[_Row]] = {}
        for row in rows:
            if row.has("name"):
                groups.setdefault(row.cells["name"].casefold(), []).append(row)
        plans = []
        for group in groups.values():
            plan = self._plan(group, columns)
            if plan is not None:
                plans.append(plan)
        self._match(plans, groups)
        return plans

    def _plan(self, group: list[_Row], columns: set[str]) -> PartnerPlan | None:
        main = group[0]
        for row in group[1:]:
            for column in PARTNER_COLUMNS:
                if column == "name" or not row.has(column) or column in row.bad | main.bad:
                    continue
                if row.values.get(column) != main.values.get(column):
                    self.errors.add(
                        row.number,
                        column,
                        _(
                            "This differs from row %(row)s, which is the same partner. Leave the "
                            "cell blank on extra contact rows, or repeat the same value."
                        )
                        % {"row": main.number},
                    )
            if not row.has_contact:
                self.errors.add(
                    row.number,
                    "name",
                    _("This row repeats row %(row)s (same partner, no contact): remove it.")
                    % {"row": main.number},
                )
        if "partner_type" in columns and not main.has("partner_type"):
            self.errors.add(main.number, "partner_type", _("A partner type is required."))
        values: dict[str, Any] = {}
        for column in PARTNER_COLUMNS:
            if column not in columns:
                continue
            value = main.values.get(column)
            if column == "state":
                if value:
                    values["state"] = value
            elif column == "channel_manager_email":
                values["channel_manager"] = value
            elif column in LIST_COLUMNS:
                values[column] = value or []
            elif column == "co_marketing":
                values[column] = bool(value)
            else:
                values[column] = value or ""
        if values.get("website"):
            values["domain"] = normalize_domain(values["website"])
        # As on the profile form: the primary type is always one of the types a partner plays.
        primary = values.get("partner_type")
        if primary and "partner_types" in values and primary not in values["partner_types"]:
            values["partner_types"] = [primary, *values["partner_types"]]
        contacts: list[ContactPlan] = []
        seen_emails: dict[str, int] = {}
        for row in group:
            if not row.has_contact or not row.has("contact_email") or not row.has("contact_name"):
                continue
            email = row.cells["contact_email"]
            if email.casefold() in seen_emails:
                self.errors.add(
                    row.number,
                    "contact_email",
                    _("%(email)s is already a contact of this partner on row %(row)s.")
                    % {"email": _quote(email), "row": seen_emails[email.casefold()]},
                )
                continue
            seen_emails[email.casefold()] = row.number
            contact = {"name": row.values.get("contact_name", ""), "email": email}
            if "contact_title" in columns:
                contact["title"] = row.values.get("contact_title", "")
            if "contact_role" in columns:
                contact["role"] = row.values.get("contact_role") or ContactRole.PRIMARY
            contacts.append(ContactPlan(row=row.number, values=contact))
        if any(row.bad for row in group) or "name" not in main.values:
            return None
        return PartnerPlan(row=main.number, rows=len(group), values=values, contacts=contacts)

    def _match(self, plans: list[PartnerPlan], groups: dict[str, list[_Row]]) -> None:
        """Find each partner's existing record (by domain, else by name) and what would change."""
        by_domain: dict[str, list[tuple[int, str]]] = {}
        by_name: dict[str, list[tuple[int, str]]] = {}
        for pk, name, domain in PartnerOrganization.objects.values_list("pk", "name", "domain"):
            if domain:
                by_domain.setdefault(domain, []).append((pk, name))
            by_name.setdefault(name.casefold(), []).append((pk, name))

        def pick(candidates: list[tuple[int, str]], name: str) -> int | None | bool:
            if len(candidates) == 1:
                return candidates[0][0]
            exact = [pk for pk, n in candidates if n == name] or [
                pk for pk, n in candidates if n.casefold() == name.casefold()
            ]
            return exact[0] if len(exact) == 1 else False  # False: ambiguous

        matched: list[tuple[PartnerPlan, int]] = []
        owner_of_domain: dict[str, PartnerPlan] = {}
        claimed: dict[int, PartnerPlan] = {}
        for plan in plans:
            name, domain = plan.values["name"], plan.values.get("domain", "")
            if domain:
                earlier = owner_of_domain.setdefault(domain, plan)
                if earlier is not plan:
                    self.errors.add(
                        plan.row,
                        "website",
                        _(
                            "The domain %(domain)s is also used by %(name)s on row %(row)s; each "
                            "partner needs its own website domain."
                        )
                        % {
                            "domain": domain,
                            "name": _quote(earlier.values["name"]),
                            "row": earlier.row,
                        },
                    )
                    continue
            pk = pick(by_domain[domain], name) if domain in by_domain else None
            if pk is False:
                self.errors.add(
                    plan.row,
                    "website",
                    _(
                        "Several partners already use the domain %(domain)s and none is named "
                        "%(name)s: rename the row to the partner you mean."
                    )
                    % {"domain": domain, "name": _quote(name)},
                )
                continue
            same_name = by_name.get(name.casefold(), [])
            if pk is None and same_name:
                pk = pick(same_name, name)
            elif pk is not None and any(other != pk for other, _n in same_name):
                holder = next(n for other, n in same_name if other != pk)
                self.errors.add(
                    plan.row,
                    "name",
                    _(
                        "%(name)s is already the name of another partner, but the website matches "
                        "a different one. Rename one of them."
                    )
                    % {"name": _quote(holder)},
                )
                continue
            if pk is None:
                continue
            if pk is False:
                self.errors.add(plan.row, "name", _("Several partners have this name."))
                continue
            if pk in claimed:
                self.errors.add(
                    plan.row,
                    "name",
                    _("This row and row %(row)s both match the existing partner %(name)s.")
                    % {"row": claimed[pk].row, "name": _quote(claimed[pk].values["name"])},
                )
                continue
            claimed[pk] = plan
            matched.append((plan, pk))
        self._compare(matched)

    def _compare(self, matched: list[tuple[PartnerPlan, int]]) -> None:
        pks = [pk for _plan, pk in matched]
        existing: dict[int, PartnerOrganization] = {}
        contacts: dict[tuple[int, str], PartnerContact] = {}
        for start in range(0, len(pks), WRITE_BATCH):
            chunk = pks[start : start + WRITE_BATCH]
            existing.update(PartnerOrganization.objects.in_bulk(chunk))
            for contact in PartnerContact.objects.filter(partner_id__in=chunk).order_by("pk"):
                contacts.setdefault((contact.partner_id, contact.email.casefold()), contact)
        for plan, pk in matched:
            partner = existing.get(pk)
            if partner is None:
                continue
            plan.existing = partner
            changed = []
            for name, value in plan.values.items():
                current = getattr(partner, name)
                if name == "hq_country":
                    current = current.code if current else ""
                if name == "channel_manager":
                    current, value = partner.channel_manager_id, value.pk if value else None
                if current != value:
                    changed.append(name)
            if "state" in changed:
                self.errors.add(
                    plan.row,
                    "state",
                    _(
                        "The file says %(new)s but %(name)s is %(current)s. The import does not "
                        "move existing partners through the lifecycle: do that on the partner's "
                        "page, or leave the cell blank."
                    )
                    % {
                        "new": LifecycleState(plan.values["state"]).label,
                        "name": _quote(partner.name),
                        "current": LifecycleState(partner.state).label,
                    },
                )
                changed.remove("state")
            primary = plan.values.get("partner_type")
            types = plan.values.get("partner_types", partner.partner_types)
            if primary and primary not in types:  # keep the primary type among the types
                plan.values["partner_types"] = [primary, *types]
                if "partner_types" not in changed:
                    changed.append("partner_types")
            plan.changed = tuple(changed)
            for contact in plan.contacts:
                found = contacts.get((pk, contact.values["email"].casefold()))
                if found is not None:
                    contact.existing = found
                    contact.changed = tuple(
                        k for k, v in contact.values.items() if getattr(found, k) != v
                    )


def _validate(partner_import: PartnerImport, *, pct_from: int, pct_to: int) -> Validation:
    """Read and check the whole file. Reports progress between pct_from and pct_to."""
    with partner_import.file.open("rb") as handle:
        data = handle.read()
    table = read_table(data, file_extension(partner_import.file.name))
    validator = _Validator()
    if not table:
        validator.errors.add(None, "", _("The file is empty."))
        return Validation(0, validator.errors.as_list(), [])
    columns = validator.header(table[0][1])
    body = table[1:]
    total = sum(1 for _n, cells in body if any(cells))
    if columns is None:
        return Validation(total, validator.errors.as_list(), [])
    if total == 0:
        validator.errors.add(None, "", _("The file has no partner rows under the header row."))
    if total > MAX_ROWS:
        validator.errors.add(
            None,
            "",
            _("The file has %(count)s rows; import at most %(max)s at a time.")
            % {"count": total, "max": MAX_ROWS},
        )
        return Validation(total, validator.errors.as_list(), [])
    span = pct_to - pct_from
    rows: list[_Row] = []
    for index, (number, cells) in enumerate(body, start=1):
        row = validator.parse_row(number, columns, cells)
        if row is not None:
            rows.append(row)
        if index % PROGRESS_EVERY == 0:
            done = len(rows)
            _report(
                partner_import, done=done, total=total, pct=pct_from + span * 0.9 * done / total
            )
    plans = validator.plans(rows, {c for c in columns if c})
    _report(partner_import, done=total, total=total, pct=pct_to)
    return Validation(total, validator.errors.as_list(), plans if not validator.errors else [])


@transaction.atomic
def partner_import_validate(*, partner_import: PartnerImport) -> PartnerImport:
    """Check every row (the task body after upload). Writes nothing but the import's status."""
    partner_import = PartnerImport.objects.select_for_update().get(pk=partner_import.pk)
    if partner_import.status != ImportStatus.VALIDATING:
        return partner_import  # a second delivery, or already handled
    try:
        result = _validate(partner_import, pct_from=0, pct_to=100)
    except ImportFileError as error:
        result = Validation(0, [{"row": None, "field": "", "message": str(error)}], [])
    partner_import.total_rows = result.total_rows
    partner_import.processed_rows = result.total_rows
    partner_import.errors = result.errors
    if result.errors:
        partner_import.status = ImportStatus.INVALID
        partner_import.preview = {}
        partner_import.created_count = partner_import.updated_count = 0
        partner_import.finished_at = timezone.now()
    else:
        partner_import.status = ImportStatus.READY
        partner_import.preview = result.preview()
        partner_import.created_count = partner_import.preview["new"]
        partner_import.updated_count = partner_import.preview["updated"]
    partner_import.save()
    _clear_progress(partner_import)
    return partner_import


# --- Import --------------------------------------------------------------------------------------


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
        _report(
            partner_import,
            done=min(written_rows, total),
            total=total,
            pct=pct_from + (100 - pct_from) * min(written_rows, total) / max(total, 1),
        )
    return counts


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
            result = _validate(partner_import, pct_from=0, pct_to=30)
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
    partner_import.finished_at = timezone.now()
    partner_import.save()
    _clear_progress(partner_import)
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
            from ..tasks.ipp import ipp_recompute_tenant
        except ImportError:
            logger.warning("IPP scoring is not available; imported partners stay unscored")
            return
        try:
            ipp_recompute_tenant.apply_async(kwargs={"tenant_id": tenant.pk})
        except Exception:
            logger.exception("Could not schedule IPP scoring after a partner import")

    transaction.on_commit(rescore, robust=True)


def partner_import_template() -> tuple[list[str], list[list[str]]]:
    """Headers and one example row, for the "download a template" link."""
    example = [
        "Northwind Cloud",
        "Northwind Cloud GmbH",
        "https://northwind.example",
        "DE",
        "EMEA",
        "Manufacturing; Retail",
        "51–200",
        "$10M–$50M",
        "msp",
        "msp; reseller",
        "Kubernetes; AWS",
        "solution",
        "yes",
        "prospect",
        "",
        "Jana Nowak",
        "jana.nowak@northwind.example",
        "Head of Alliances",
        "primary",
    ]
    return list(COLUMNS), [example]
