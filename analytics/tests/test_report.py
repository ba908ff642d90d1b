"""The board report: asked for from the dashboard's filters, built in the background with its
progress recorded, a real multi-page PDF whose text has the dashboard's KPI values, emailed when
asked, and only its requester may see or download it."""

from __future__ import annotations

import io
import re
from html import unescape

import pytest
from django.urls import reverse
from pypdf import PdfReader

from analytics.models import BoardReport, ReportStatus
from analytics.report import chart_svg
from tenancy.common.charts import Chart, Series
from tenancy.context import tenant_context
from tenancy.emails import OutboundEmail

pytestmark = pytest.mark.django_db

PERIOD = {"period": "2026-Q4", "model": "linear"}


def _ask(client, django_capture_on_commit_callbacks, **extra):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            reverse("console_analytics_reports"),
            {**PERIOD, "title": "Q4 board pack", "summary": "Channel grew <b>fast</b>.", **extra},
        )


def _pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())  # wrapped lines joined


def test_the_report_is_a_multi_page_pdf_with_the_dashboard_figures(
    data, acme, django_capture_on_commit_callbacks
):
    client = acme.client(acme.executive)
    response = _ask(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    with tenant_context(acme.tenant):
        report = BoardReport.objects.get()
    assert report.status == ReportStatus.READY and report.progress == 100
    assert report.filters == PERIOD and report.period_label == "Oct 2026 – Dec 2026"
    download = client.get(reverse("console_analytics_report_download", args=[report.uuid]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    pages, text = _pdf_text(b"".join(download.streaming_content))
    assert pages == report.pages >= 4  # cover, key figures and charts, tables, definitions
    # Every tile of the dashboard for the same filters shows the same value in the PDF.
    page = client.get(reverse("console_analytics") + "?period=2026-Q4&model=linear")
    values = [
        " ".join(unescape(re.sub(r"<[^>]+>", "", v)).split())
        for v in re.findall(r'kpi-value">(.*?)</div>', page.content.decode(), re.S)
    ]
    assert len(values) == 6 and "19,000.00 USD" in values
    for value in values:
        assert value in text
    assert "Q4 board pack" in text and "Channel grew <b>fast</b>." in text
    assert "How each figure is computed" in text and "By tier" in text


def test_the_page_shows_progress_while_the_report_is_prepared(data, acme):
    client = acme.client(acme.executive)
    response = client.post(reverse("console_analytics_reports"), {**PERIOD, "title": "Pack"})
    assert response.status_code == 302  # on_commit not run: the report waits for a worker
    with tenant_context(acme.tenant):
        report = BoardReport.objects.get()
        BoardReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.BUILDING, progress=40, stage="Drawing the charts"
        )
    row = client.get(reverse("console_analytics_report_status", args=[report.uuid]))
    html = row.content.decode()
    assert 'hx-trigger="every 1s"' in html and "40%" in html and "Drawing the charts" in html
    assert (
        client.get(reverse("console_analytics_report_download", args=[report.uuid])).status_code
        == 404
    )  # not ready yet


def test_emailed_when_asked(data, acme, django_capture_on_commit_callbacks):
    _ask(acme.client(acme.executive), django_capture_on_commit_callbacks, email_me="on")
    with tenant_context(acme.tenant):
        mail = OutboundEmail.objects.get(kind="analytics.board_report")
    assert mail.recipient_email == acme.executive.email
    assert mail.attachments[0]["mimetype"] == "application/pdf"
    assert mail.attachments[0]["filename"].endswith(".pdf")


def test_only_the_requester_sees_and_downloads_a_report(
    data, acme, globex, django_capture_on_commit_callbacks
):
    _ask(acme.client(acme.executive), django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        report = BoardReport.objects.get()
    download = reverse("console_analytics_report_download", args=[report.uuid])
    status = reverse("console_analytics_report_status", args=[report.uuid])
    admin = acme.client(acme.admin)
    assert admin.get(download).status_code == 404
    assert admin.get(status).status_code == 404
    assert report.title not in admin.get(reverse("console_analytics_reports")).content.decode()
    assert globex.client(globex.executive).get(download).status_code == 404
    assert acme.client(acme.sales).get(reverse("console_analytics_reports")).status_code == 403
    assert acme.client(acme.partner_admin).get(download).status_code in (403, 404)


def test_a_manager_report_covers_only_their_partners(
    data, acme, django_capture_on_commit_callbacks
):
    client = acme.client(acme.manager)
    _ask(client, django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        report = BoardReport.objects.get()
    _pages, text = _pdf_text(
        b"".join(
            client.get(
                reverse("console_analytics_report_download", args=[report.uuid])
            ).streaming_content
        )
    )
    assert "Partner Three" not in text  # not theirs
    assert data["one"].name in text


def test_bad_input_keeps_what_was_typed(data, acme):
    client = acme.client(acme.executive)
    response = client.post(
        reverse("console_analytics_reports"), {**PERIOD, "title": "", "summary": "Keep me"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Keep me" in html
    with tenant_context(acme.tenant):
        assert not BoardReport.objects.exists()


def test_too_many_reports_at_once_are_refused_with_a_message(data, acme):
    client = acme.client(acme.executive)
    for _ in range(3):
        client.post(reverse("console_analytics_reports"), {**PERIOD, "title": "Pack"})
    response = client.post(reverse("console_analytics_reports"), {**PERIOD, "title": "Pack"})
    assert response.status_code == 400
    assert "still being prepared" in response.content.decode()


def test_a_chart_is_an_svg_document():
    chart = Chart(
        key="k",
        title="T",
        categories=["Oct 2026", "Nov 2026"],
        series=[Series("Sourced", [1, 2], "#1f4e79"), Series("Influenced", [3, 4], "#f2a900")],
        stacked=True,
        unit="USD",
    )
    svg = chart_svg(chart)
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "#1f4e79" in svg


def test_the_report_carries_satisfaction_customer_value_and_churn_risk(
    data, acme, django_capture_on_commit_callbacks
):
    """The board pack's second half: the latest survey (vs the one before), customer value
    through partners vs direct and the partners most at risk — the same figures as their pages."""
    from analytics import churn, psat

    with tenant_context(acme.tenant):
        admin = acme.actor(acme.admin)
        first = psat.survey_open(actor=admin, title="Spring survey")
        psat.survey_answer(actor=acme.actor(acme.partner_admin), survey=first,
                           scores=[5, 4, 4, 4, 3], recommend=10)  # fmt: skip
        psat.survey_close(actor=admin, survey=first)
        second = psat.survey_open(actor=admin, title="Autumn survey")
        psat.survey_answer(actor=acme.actor(acme.partner_sales), survey=second,
                           scores=[2, 2, 3, 2, 2], recommend=3)  # fmt: skip
        churn.churn_train()
    client = acme.client(acme.executive)
    _ask(client, django_capture_on_commit_callbacks)
    with tenant_context(acme.tenant):
        report = BoardReport.objects.get()
    download = client.get(reverse("console_analytics_report_download", args=[report.uuid]))
    _pages, text = _pdf_text(b"".join(download.streaming_content))
    assert "Partner satisfaction" in text and "Autumn survey" in text and "Spring survey" in text
    # Autumn: 11 points / 5 answers = 2.2, NPS −100; spring: 20 / 5 = 4.0, NPS +100.
    assert "2.2" in text and "-100" in text and "4.0" in text and "+100" in text
    assert "Customer value: through partners vs direct" in text
    assert "Customer lifetime value" in text and "Through partners" in text
    assert "Partners at risk of leaving" in text and "Rule-based score" in text
    # A channel manager's report leaves out the program-wide customer value.
    manager = acme.client(acme.manager)
    _ask(manager, django_capture_on_commit_callbacks, title="Manager pack")
    with tenant_context(acme.tenant):
        mine = BoardReport.objects.get(requested_by=acme.manager)
    download = manager.get(reverse("console_analytics_report_download", args=[mine.uuid]))
    _pages, text = _pdf_text(b"".join(download.streaming_content))
    assert "Customer value" not in text and "Partner satisfaction" in text
