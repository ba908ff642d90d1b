"""Uploaded files: the one content check every upload goes through, tenant-scoped storage names,
stored documents with their SHA-256, and the response that serves a stored file.

Every upload in the app (asset versions, LMS file modules, offline agreement contracts, partner
imports, ...) calls `sniff_upload` in its service before anything is written: the type is decided
by the bytes (magic numbers, OOXML parts, text decoding), never by the name or the browser's
Content-Type, so a Windows executable renamed `.pdf` is refused with a field error. Files are
stored under `<area>/<tenant id>/...` with names made by us, never by the uploader.
"""

from __future__ import annotations

import codecs
import hashlib
import secrets
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class FileKind:
    ext: str
    mime: str
    label: object  # a lazy translated name for messages ("PDF", "CSV"...)


KINDS: dict[str, FileKind] = {
    kind.ext: kind
    for kind in (
        FileKind("pdf", "application/pdf", gettext_lazy("PDF")),
        FileKind("png", "image/png", gettext_lazy("PNG")),
        FileKind("jpg", "image/jpeg", gettext_lazy("JPEG")),
        FileKind("mp4", "video/mp4", gettext_lazy("MP4")),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            gettext_lazy("Word document"),
        ),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            gettext_lazy("Excel workbook"),
        ),
        FileKind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            gettext_lazy("PowerPoint presentation"),
        ),
        FileKind("csv", "text/csv", gettext_lazy("CSV")),
    )
}
# What people download from the portal (assets, course files).
DOCUMENT_KINDS = frozenset({"pdf", "png", "jpg", "mp4", "docx", "xlsx", "pptx"})

_BY_MIME = {kind.mime: kind for kind in KINDS.values()}
_OOXML_PART_PREFIX = {"docx": "word/", "xlsx": "xl/", "pptx": "ppt/"}
# Refused whatever else the bytes look like: PE (MZ), ELF, Mach-O (both byte orders, fat), scripts.
EXECUTABLE_MAGIC = (
    b"MZ",
    b"\x7fELF",
    b"\xfe\xed\xfa",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
    b"#!",
)
HEAD_BYTES = 8192


@dataclass(frozen=True)
class SniffedFile:
    ext: str
    mime: str
    size: int


def sniff_upload(
    upload,
    *,
    allowed: Iterable[str],
    max_bytes: int,
    field: str = "file",
    message: str | None = None,
) -> SniffedFile:
    """Decide an uploaded file's type from its content and refuse it unless it is one of
    `allowed` (extensions of `KINDS`) and at most `max_bytes` long. Raises a ValidationError on
    `field` (so forms and the API show it as a field error); reads no more than needed and leaves
    the file at position 0."""
    allowed = frozenset(allowed)
    size = getattr(upload, "size", None) or 0
    if size == 0:
        raise ValidationError({field: _("The file is empty.")})
    if size > max_bytes:
        raise ValidationError(
            {field: _("The file is larger than %(mb)d MB.") % {"mb": max(1, max_bytes // 2**20)}}
        )
    refused = ValidationError({field: message or _refusal(allowed)})
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if head.startswith(EXECUTABLE_MAGIC):
        raise refused
    guessed = filetype.guess(head)
    if guessed is None:
        if "csv" in allowed and _is_text(head):
            return SniffedFile("csv", KINDS["csv"].mime, size)
        raise refused
    kind = _BY_MIME.get(guessed.mime)
    if guessed.mime == "application/zip" or (kind and kind.ext in _OOXML_PART_PREFIX):
        kind = _ooxml_kind(upload)
    if kind is None or kind.ext not in allowed:
        raise refused
    return SniffedFile(kind.ext, kind.mime, size)


def _refusal(allowed: frozenset[str]) -> str:
    names = ", ".join(str(KINDS[ext].label) for ext in sorted(allowed))
    return _("This file type is not allowed. Upload one of: %(kinds)s.") % {"kinds": names}


def _is_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            head.decode(encoding)
        except UnicodeDecodeError as error:
            # The head may cut a multi-byte character in two at its end.
            if encoding == "utf-8" and error.start >= len(head) - 3:
                return True
            continue
        return True
    return False


def _ooxml_kind(upload) -> FileKind | None:
    """A ZIP is an Office document only with `[Content_Types].xml` and the parts of its kind."""
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return None
    for ext, prefix in _OOXML_PART_PREFIX.items():
        if any(name.startswith(prefix) for name in names):
            return KINDS[ext]
    return None


# --- Storage -------------------------------------------------------------------------------------


def tenant_path(area: str, tenant_id: int, name: str) -> str:
    """The storage name of a tenant's file: `<area>/<tenant id>/<name>`; `name` is ours (a uuid
    and an extension), never the uploader's."""
    return f"{area}/{tenant_id}/{name}"


def unique_name(stem: str, ext: str) -> str:
    """`<stem>-<random>.<ext>`: a replaced file gets a new name, so a cached download of the old
    one never shows the new content under the old name (and vice versa)."""
    return f"{stem}-{secrets.token_hex(4)}.{ext}"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def store_bytes(fieldfile: FieldFile, name: str, data: bytes) -> str:
    """Write `data` to `fieldfile` (without saving the model row) and return its SHA-256."""
    fieldfile.save(name, ContentFile(data), save=False)
    return sha256_of(data)


def stored_file_response(
    fieldfile: FieldFile,
    *,
    filename: str,
    content_type: str,
    sha256: str = "",
    inline: bool = False,
) -> FileResponse:
    """Stream a stored file as an attachment (`inline=True`: an image a page shows, e.g. a
    partner's logo); a row whose file went missing is a 404."""
    if not fieldfile:
        raise Http404
    try:
        handle = fieldfile.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    response = FileResponse(
        handle, as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    if sha256:
        response["X-Content-SHA256"] = sha256
    return response


# --- Documents rendered once ---------------------------------------------------------------------


def store_document_once(
    instance, *, file_field: str, sha_field: str, render: Callable[[], bytes]
) -> bool:
    """Render a document for `instance` (a signed agreement, a certificate) and keep it with its
    SHA-256, unless it already has one: a record's document is rendered once and then only
    served, so a later template or branding change never alters it. Returns True when this call
    stored it. Two first renders at once: the conditional UPDATE lets one win; the other removes
    its file and takes the winner's."""
    if getattr(instance, file_field) and getattr(instance, sha_field):
        return False
    data = render()
    fieldfile = getattr(instance, file_field)
    sha256 = store_bytes(fieldfile, "document", data)
    model = type(instance)
    won = model.objects.filter(pk=instance.pk, **{sha_field: ""}).update(
        **{file_field: fieldfile.name, sha_field: sha256}
    )
    if not won:
        fieldfile.storage.delete(fieldfile.name)
        instance.refresh_from_db(fields=[file_field, sha_field])
        return False
    setattr(instance, sha_field, sha256)
    return True


def forget_document(instance, *, file_field: str, sha_field: str) -> None:
    """Drop a stored document so the next `store_document_once` renders a new one (a renewed
    certificate); the old file is deleted once the change is committed."""
    fieldfile = getattr(instance, file_field)
    old_name = fieldfile.name if fieldfile else ""
    type(instance).objects.filter(pk=instance.pk).update(**{file_field: "", sha_field: ""})
    setattr(instance, file_field, "")
    setattr(instance, sha_field, "")
    if old_name:
        storage = fieldfile.storage
        transaction.on_commit(lambda: storage.delete(old_name))
