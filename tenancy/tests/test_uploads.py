"""The one upload check (`tenancy.uploads.sniff_upload`): types decided by content, not name."""

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tenancy.uploads import DOCUMENT_KINDS, sniff_upload, tenant_path

from .files import MINIMAL_PDF, PNG_BYTES, ooxml_bytes, renamed_exe, windows_exe_bytes

MB = 2**20


@pytest.mark.parametrize(
    "name, data, ext",
    [
        ("x.pdf", MINIMAL_PDF, "pdf"),
        ("x.png", PNG_BYTES, "png"),
        ("x.pptx", ooxml_bytes("pptx"), "pptx"),
        ("x.docx", ooxml_bytes("docx"), "docx"),
        ("x.xlsx", ooxml_bytes("xlsx"), "xlsx"),
        # The name does not matter: a PDF called .png is a PDF.
        ("really-a-pdf.png", MINIMAL_PDF, "pdf"),
    ],
)
def test_allowed_types_are_recognised_by_content(name, data, ext):
    sniffed = sniff_upload(SimpleUploadedFile(name, data), allowed=DOCUMENT_KINDS, max_bytes=MB)
    assert sniffed.ext == ext


@pytest.mark.parametrize(
    "name, data",
    [
        ("brochure.pdf", windows_exe_bytes()),
        ("datasheet.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200),
        ("tool.pdf", b"\xcf\xfa\xed\xfe" + b"\x00" * 200),  # Mach-O
        ("run.pdf", b"#!/bin/sh\nrm -rf /\n"),
        ("plain.pptx", ooxml_bytes("pptx", with_content_types=False)),  # a zip, not Office
        ("notes.pdf", b"just some text pretending"),
        ("a.gif", b"GIF89a" + b"\x00" * 50),
    ],
)
def test_other_content_is_refused_whatever_its_name(name, data):
    with pytest.raises(ValidationError) as error:
        sniff_upload(SimpleUploadedFile(name, data), allowed=DOCUMENT_KINDS, max_bytes=MB)
    assert "not allowed" in error.value.message_dict["file"][0]


def test_refusal_names_the_field_and_custom_message():
    with pytest.raises(ValidationError) as error:
        sniff_upload(
            renamed_exe(), allowed={"pdf"}, max_bytes=MB, field="contract", message="PDF only."
        )
    assert error.value.message_dict == {"contract": ["PDF only."]}


def test_empty_and_too_large_are_refused():
    with pytest.raises(ValidationError, match="empty"):
        sniff_upload(SimpleUploadedFile("a.pdf", b""), allowed={"pdf"}, max_bytes=MB)
    with pytest.raises(ValidationError, match="larger than 1 MB"):
        sniff_upload(
            SimpleUploadedFile("a.pdf", MINIMAL_PDF + b" " * MB), allowed={"pdf"}, max_bytes=MB
        )


def test_a_type_not_allowed_here_is_refused():
    with pytest.raises(ValidationError):
        sniff_upload(SimpleUploadedFile("x.png", PNG_BYTES), allowed={"pdf"}, max_bytes=MB)


@pytest.mark.parametrize(
    "data",
    [
        b"name,website\nAcme,acme.com\n",
        "name;city\nMüller;Köln\n".encode("cp1252"),
        "\ufeffname\n".encode("utf-16"),
    ],
)
def test_csv_is_text_in_a_known_encoding(data):
    sniffed = sniff_upload(SimpleUploadedFile("p.csv", data), allowed={"csv"}, max_bytes=MB)
    assert sniffed.ext == "csv"


@pytest.mark.parametrize("data", [windows_exe_bytes(), b"#!/bin/sh\necho\n", b"a,b\x00c\n"])
def test_csv_refuses_executables_and_binary(data):
    with pytest.raises(ValidationError):
        sniff_upload(SimpleUploadedFile("p.csv", data), allowed={"csv"}, max_bytes=MB)


def test_the_upload_is_left_at_its_start():
    upload = SimpleUploadedFile("x.docx", ooxml_bytes("docx"))
    sniff_upload(upload, allowed=DOCUMENT_KINDS, max_bytes=MB)
    assert upload.tell() == 0


def test_tenant_path_puts_files_under_the_tenant():
    assert tenant_path("lms", 7, "abc.pdf") == "lms/7/abc.pdf"


# --- Tests never write into var/ ---------------------------------------------------------------


def test_media_root_is_a_per_test_temporary_directory(tmp_path):
    from django.core.files.storage import default_storage

    assert tmp_path / "media" == settings.MEDIA_ROOT
    assert default_storage.path("x") == str(tmp_path / "media" / "x")
    assert settings.DATA_DIR not in (tmp_path / "media").parents


def test_every_file_field_stores_under_its_tenant():
    """A new FileField anywhere in the project must name its files `<area>/<tenant id>/...`."""
    from django.apps import apps
    from django.db import models

    from tenancy.scoping import TenantOwnedModel

    fields = [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.FileField)
    ]
    assert len(fields) >= 6  # assets, LMS, contracts, signed PDFs, certificates, imports
    for model, field in fields:
        assert issubclass(model, TenantOwnedModel), model
        instance = model(tenant_id=424242)
        name = field.generate_filename(instance, "upload.pdf")
        area, tenant_id, _rest = name.split("/", 2)
        assert tenant_id == "424242", f"{model.__name__}.{field.name}: {name}"
