"""Partner import, step 1: reading an uploaded CSV/XLSX file into rows of text, refusing what
is not a partner table, and storing the upload (`partner_import_create`)."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.context import require_current_tenant
from tenancy.tasks import enqueue
from tenancy.uploads import sniff_upload

from ...models import (
    ImportStatus,
    PartnerImport,
)
from ...selectors.imports import COLUMNS

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024
EXTENSIONS = ("csv", "xlsx")


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
    from ...tasks.imports import partner_import_validate_task

    enqueue(partner_import_validate_task, tenant=partner_import.tenant, import_id=partner_import.pk)
    return partner_import


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
