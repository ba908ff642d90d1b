"""Partner import (upload → checked in the background → preview or errors → import) and the
directory's CSV/XLSX export. Thin: access check, one service or selector call, render."""

from __future__ import annotations

import csv

import tablib
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tenancy import access
from tenancy.access import Perm
from tenancy.views import apply_errors

from ..forms.filters import PartnerDirectoryFilter
from ..forms.imports import PartnerImportForm
from ..selectors import imports as selectors
from ..selectors.organization import partner_organizations_for
from ..services import imports as services

RECENT_IMPORTS = 10
EXPORT_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import_actor(request):
    actor = access.require_console(request, Perm.PROGRAM_MANAGE)
    return actor


@login_required
def console_partner_import(request):
    actor = _import_actor(request)
    form = PartnerImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                partner_import = services.partner_import_create(
                    actor=actor, upload=form.cleaned_data["file"]
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                return redirect("console_partner_import_detail", import_uuid=partner_import.uuid)
    context = {
        "form": form,
        "imports": selectors.partner_imports_for(actor)[:RECENT_IMPORTS],
        "columns": selectors.COLUMNS,
        "required_columns": selectors.REQUIRED_COLUMNS,
    }
    return render(request, "partners/imports/upload.html", context, status=status)


@login_required
def console_partner_import_detail(request, import_uuid):
    actor = _import_actor(request)
    partner_import = get_object_or_404(selectors.partner_imports_for(actor), uuid=import_uuid)
    if request.method == "POST":
        try:
            services.partner_import_start(actor=actor, partner_import=partner_import)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Import started."))
        return redirect("console_partner_import_detail", import_uuid=partner_import.uuid)
    context = {
        "partner_import": partner_import,
        "progress": selectors.import_progress(partner_import),
    }
    if request.htmx:  # the progress poll: only the status block
        return render(request, "partners/imports/_status.html", context)
    return render(request, "partners/imports/detail.html", context)


@login_required
@require_GET
def console_partner_import_template(request):
    _import_actor(request)
    file_format = request.GET.get("format", "csv")
    if file_format not in EXPORT_FORMATS:
        return HttpResponseBadRequest(_("Unknown format."))
    headers, rows = services.partner_import_template()
    return _table_response(
        iter([headers, *rows]), file_format=file_format, name="partner-import-template"
    )


@login_required
@require_GET
def console_partner_export(request):
    """The directory, as filtered, in the import's format (one row per contact)."""
    actor = access.require_console(request, Perm.PARTNERS_VIEW)
    file_format = request.GET.get("format", "csv")
    if file_format not in EXPORT_FORMATS:
        return HttpResponseBadRequest(_("Unknown format."))
    filters = PartnerDirectoryFilter(
        request.GET or None,
        queryset=partner_organizations_for(actor),
        request=request,
    )
    partners = filters.qs if filters.is_valid() else partner_organizations_for(actor).none()
    partner_ids = selectors.export_partner_ids(partners)
    name = f"partners-{timezone.localdate():%Y-%m-%d}"
    return _table_response(selectors.export_rows(partner_ids), file_format=file_format, name=name)


class _Echo:
    """A file-like object csv.writer writes into, handing each line straight back."""

    def write(self, value: str) -> str:
        return value


def _table_response(rows, *, file_format: str, name: str) -> HttpResponse:
    if file_format == "csv":
        writer = csv.writer(_Echo())
        # A byte-order mark so that Excel opens the UTF-8 file with the right characters.
        lines = (("\ufeff" if i == 0 else "") + writer.writerow(r) for i, r in enumerate(rows))
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    else:
        # XLSX is a zip: it cannot be streamed row by row; tablib builds it in memory.
        rows = iter(rows)
        dataset = tablib.Dataset(headers=next(rows), title="Partners")
        for row in rows:
            dataset.append(row)
        response = HttpResponse(dataset.export("xlsx"), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.{file_format}"'
    return response
