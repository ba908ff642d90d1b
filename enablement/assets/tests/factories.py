"""Factories and tiny valid files for the asset library tests."""

from __future__ import annotations

import io
import zipfile

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from enablement.assets.models import Asset, AssetType, AssetVersion, PlaybookStage
from tenancy.context import tenant_context
from tenancy.tests.factories import TenantOwnedFactory

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 3 3]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def pdf_upload(name: str = "deck.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def elf_disguised_as_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "datasheet.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 200, content_type="application/pdf"
    )


def exe_disguised_as_pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "brochure.pdf", b"MZ\x90\x00\x03" + b"\x00" * 200, content_type="application/pdf"
    )


def ooxml_upload(kind: str = "pptx", *, with_content_types: bool = True) -> SimpleUploadedFile:
    prefix = {"docx": "word", "xlsx": "xl", "pptx": "ppt"}[kind]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if with_content_types:
            archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(f"{prefix}/document.xml", "<x/>")
    return SimpleUploadedFile(f"file.{kind}", buffer.getvalue())


class PlaybookStageFactory(TenantOwnedFactory):
    class Meta:
        model = PlaybookStage

    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n)
    guidance = "Ask **good** questions."


class AssetFactory(TenantOwnedFactory):
    class Meta:
        model = Asset
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Asset {n}")
    type = AssetType.DECK
    product = "Cloud"
    is_published = True

    @factory.post_generation
    def tiers(self, create, extracted, **kwargs):
        if create and extracted:
            with tenant_context(self.tenant):
                self.tiers.set(extracted)


class AssetVersionFactory(TenantOwnedFactory):
    class Meta:
        model = AssetVersion

    asset = factory.SubFactory(AssetFactory, tenant=factory.SelfAttribute("..tenant"))
    number = factory.Sequence(lambda n: n + 1)
    url = "https://example.com/asset"
