"""Partner imports from CSV/XLSX: validated in full, then applied all-or-nothing in a task."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path


def import_upload_to(partner_import: PartnerImport, filename: str) -> str:
    # `filename` is the service's `<uuid>.<ext>`, never the uploader's name.
    return tenant_path("imports", partner_import.tenant_id, filename)


class ImportStatus(models.TextChoices):
    VALIDATING = "validating", _("Checking the file")
    INVALID = "invalid", _("Has errors")
    READY = "ready", _("Ready to import")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    FAILED = "failed", _("Failed")


class PartnerImport(TenantOwnedModel):
    file = models.FileField(upload_to=import_upload_to, max_length=200)
    original_name = models.CharField(max_length=255)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.VALIDATING
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    # [{"row": 7, "field": "website", "message": "Enter a valid URL."}, …]
    errors = models.JSONField(default=list, blank=True)
    preview = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def progress_pct(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
