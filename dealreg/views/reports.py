"""Console deal-registration reports over a period, with CSV. Thin."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tenancy import access
from tenancy.access import Perm
from tenancy.common.spreadsheets import csv_safe

from ..forms.reports import ReportPeriodForm
from ..selectors import reports as selectors

PAGE_ROWS = 25


@login_required
@require_GET
def console_deal_reports(request):
    actor = access.require_console(request, Perm.DEALS_VIEW)
    form = ReportPeriodForm.for_query(request.GET)
    if not form.ok:
        # The period's field errors beside its fields (also for the CSV link): no figures.
        return render(
            request, "dealreg/reports/report.html", {"form": form, "report": None}, status=400
        )
    period = form.period
    report = selectors.deal_report(actor, period)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="deal-report-{period.start}-{period.end}.csv"'
        )
        writer = csv.writer(response)
        for row in selectors.report_csv_rows(report):
            writer.writerow([csv_safe(cell) for cell in row])
        return response
    # The page shows each breakdown's busiest rows; the CSV and the API list every row.
    sections = [
        (name, report[f"by_{name}"][:PAGE_ROWS], len(report[f"by_{name}"]))
        for name in ("partner", "region", "product")
    ]
    return render(
        request,
        "dealreg/reports/report.html",
        {
            "form": form,
            "report": report,
            "period": period,
            "sections": sections,
            "page_rows": PAGE_ROWS,
        },
    )
