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


# --- Churn risk: the weekly list of a manager's at-risk partners -------------------------------

AT_RISK_PARTNERS = mail_kind(
    "analytics.at_risk_partners", gettext_lazy("Partners at risk (weekly)")
)


def at_risk_partners(*, user, scores, total: int, model, week: str):
    """Mail a channel manager their partners at high churn risk, with each one's reasons (once
    per manager and ISO week: the idempotency key)."""
    from django.utils.translation import ngettext

    tenant = require_current_tenant()
    context = {
        "user": user,
        "scores": scores,
        "total": total,
        "model": model,
        "url": tenant_base_url(tenant) + reverse("console_analytics_churn") + "?band=high",
        "tenant": tenant,
    }
    return notify(
        user=user,
        kind=AT_RISK_PARTNERS,
        subject=ngettext(
            "%(count)s of your partners is at high risk of leaving",
            "%(count)s of your partners are at high risk of leaving",
            total,
        )
        % {"count": total},
        body_text=render_to_string("analytics/email/at_risk_partners.txt", context),
        url=reverse("console_analytics_churn") + "?band=high",
        idempotency_key=f"churn-at-risk:{user.pk}:{week}",
    )
