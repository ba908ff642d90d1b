"""Analytics mail through the one outbox: a board report that is ready (the PDF attached) and
the weekly list of at-risk partners to their managers."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tenancy.context import require_current_tenant
from tenancy.emails import Attachment, mail_kind
from tenancy.hosts import tenant_base_url
from tenancy.notifications import notify

BOARD_REPORT = mail_kind("analytics.board_report", gettext_lazy("Board report ready"))


def reports_url() -> str:
    return tenant_base_url(require_current_tenant()) + reverse("console_analytics_reports")


def report_ready(report, data: bytes) -> None:
    """Tell the requester their report is ready, with the PDF attached (in the caller's
    transaction: no mail for a report that was not saved)."""
    context = {"report": report, "url": reports_url(), "tenant": require_current_tenant()}
    notify(
        user=report.requested_by,
        kind=BOARD_REPORT,
        subject=_("Your board report is ready: %(title)s") % {"title": report.title},
        body_text=render_to_string("analytics/email/report_ready.txt", context),
        url=reverse("console_analytics_reports"),
        source_uuid=report.uuid,
        idempotency_key=f"board-report:{report.uuid}",
        attachments=[
            Attachment(f"{report.title} - {report.period_label}.pdf", data, "application/pdf")
        ],
    )
