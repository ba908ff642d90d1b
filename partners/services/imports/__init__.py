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

Modules: `read` (file → rows of text, upload checks, the template), `validate` (rows → plans,
errors in plain words), `apply` (plans → rows in the database), `progress` (the cache entry the
status page polls). The public names are importable from here.

NOTE: the uploaded file is read again by the worker through Django's default storage, so web and
worker processes must share it (the same disk, or an object store in production).
"""

from .apply import partner_import_run, partner_import_start
from .read import (
    EXTENSIONS,
    MAX_UPLOAD_BYTES,
    ImportFileError,
    check_content,
    check_upload,
    file_extension,
    normalise_header,
    partner_import_create,
    partner_import_template,
    read_table,
)
from .validate import (
    MAX_ERRORS,
    MAX_ROWS,
    PREVIEW_ROWS,
    ContactPlan,
    PartnerPlan,
    Validation,
    normalise_website,
    partner_import_validate,
    split_list,
)

__all__ = [
    "EXTENSIONS",
    "MAX_ERRORS",
    "MAX_ROWS",
    "MAX_UPLOAD_BYTES",
    "PREVIEW_ROWS",
    "ContactPlan",
    "ImportFileError",
    "PartnerPlan",
    "Validation",
    "check_content",
    "check_upload",
    "file_extension",
    "normalise_header",
    "normalise_website",
    "partner_import_create",
    "partner_import_run",
    "partner_import_start",
    "partner_import_template",
    "partner_import_validate",
    "read_table",
    "split_list",
]
