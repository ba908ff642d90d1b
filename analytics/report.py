"""The board report: the dashboard's figures (the same `dashboard()` composer, so the same
numbers), its charts drawn as SVG and the requester's commentary, as a multi-page PDF
(WeasyPrint). Built by a worker; each stage records its progress on the `BoardReport` row, which
the reports page polls."""

from __future__ import annotations

import base64
import io
import logging
from decimal import Decimal

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tenancy.access import Actor, actor_for_user
from tenancy.common.charts import Chart
from tenancy.common.reading import one_reading
from tenancy.context import require_current_tenant
from tenancy.uploads import sha256_of

from . import dashboard as composer
from .metrics import METRICS
from .models import AttributionModel, BoardReport, ReportStatus

logger = logging.getLogger(__name__)


def chart_svg(chart: Chart) -> str:
    """The chart as an SVG document (bars, stacked when the chart is), drawn with matplotlib;
    text is drawn as outlines so the PDF needs no fonts of its own."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot
    from matplotlib.ticker import FuncFormatter

    figure, axes = pyplot.subplots(figsize=(7.2, 3.0), dpi=100)
    try:
        positions = list(range(len(chart.categories)))
        count = max(len(chart.series), 1)
        width = 0.7 if chart.stacked else 0.8 / count
        bottoms = [0.0] * len(positions)
        for index, series in enumerate(chart.series):
            values = [float(v or 0) for v in series.values]
            if chart.stacked:
                axes.bar(positions, values, width, bottom=bottoms, label=series.name,
                         color=series.color or None)  # fmt: skip
                bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
            else:
                shifted = [p - 0.4 + width * (index + 0.5) for p in positions]
                axes.bar(shifted, values, width, label=series.name, color=series.color or None)
        axes.set_xticks(positions, chart.categories, fontsize=8)
        axes.yaxis.set_major_formatter(
            FuncFormatter(
                lambda value, _pos: formats.number_format(int(value), 0, force_grouping=True)
            )
        )
        axes.tick_params(axis="y", labelsize=8)
        if chart.unit:
            axes.set_ylabel(chart.unit, fontsize=8)
        axes.spines[["top", "right"]].set_visible(False)
        axes.grid(axis="y", linewidth=0.4, alpha=0.6)
        axes.set_axisbelow(True)
        if len(chart.series) > 1:
            axes.legend(
                fontsize=8,
                frameon=False,
                loc="lower left",
                bbox_to_anchor=(0, 1),
                ncol=len(chart.series),
            )
        if len(chart.categories) > 8:
            pyplot.setp(axes.get_xticklabels(), rotation=45, ha="right")
        figure.tight_layout()
        out = io.StringIO()
        with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": chart.key}):
            figure.savefig(out, format="svg")
        return out.getvalue()
    finally:
        pyplot.close(figure)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


@one_reading()
def report_context(report: BoardReport, actor: Actor, *, progress=None) -> dict:
    """Everything the PDF shows, computed from the dashboard composer for the requester."""
    today = timezone.localdate()
    f, key, _chosen = composer.parse_filters(report.filters, today)
    board = composer.dashboard(actor, f, key)
    if progress:
        progress(40, _("Drawing the charts"))
    charts = [(chart, _data_uri(chart_svg(chart))) for chart in board.charts if not chart.is_empty]
    tenant = require_current_tenant()
    color = tenant.brand_color if str(tenant.brand_color or "").startswith("#") else "#1f4e79"
    return {
        "report": report,
        "tenant": tenant,
        "brand_color": color,
        "board": board,
        "charts": charts,
        "period_label": composer.period_label(f),
        "previous_label": composer.period_label(f.previous()),
        "model_label": AttributionModel(f.model).label,
        "generated_at": timezone.now(),
        "requested_by": report.requested_by,
        "definitions": [METRICS[t.metric.key] for t in board.tiles]
        + [m for m in METRICS.values() if m.key not in {t.metric.key for t in board.tiles}],
        "scope_note": _scope_note(actor),
        **_more(actor, f),
    }


AT_RISK_LISTED = 10


def _more(actor: Actor, f) -> dict:
    """The board pack's second half: the latest satisfaction survey, customer value through
    partners vs direct (program-wide readers), the partners most at risk of leaving — each
    through its own module's formulas, as on its page."""
    from . import churn, cltv, psat
    from .models import ChurnBand

    out: dict = {"survey_metrics": list(psat.SURVEY_METRICS.values())}
    surveys = list(psat.surveys_for(actor)[:2])
    if surveys:
        now = psat.sums(actor, surveys[:1])[None]
        before = psat.sums(actor, surveys[1:2])[None] if len(surveys) > 1 else None
        out["survey"] = surveys[0]
        out["survey_rows"] = [
            (m, m.of(now), None if before is None else m.of(before))
            for m in psat.SURVEY_METRICS.values()
        ]
        out["previous_survey"] = surveys[1] if len(surveys) > 1 else None
    if cltv.may_read(actor):
        by_channel = cltv.sums(actor, f)
        out["value_metrics"] = list(cltv.VALUE_METRICS.values())
        out["value_rows"] = [
            (m, m.of(by_channel["channel"]), m.of(by_channel["direct"]))
            for m in cltv.VALUE_METRICS.values()
        ]
    scores = churn.scores_for(actor)
    model = churn.latest_model()
    if model is not None:
        out["churn_model"] = model
        out["at_risk"] = list(scores.filter(band=ChurnBand.HIGH)[:AT_RISK_LISTED])
        out["at_risk_count"] = scores.filter(band=ChurnBand.HIGH).count()
    return out


def _scope_note(actor: Actor) -> str:
    from tenancy import access

    if access.sees_every_partner(actor):
        return _("All partners of the program.")
    user = actor.user
    name = (user.get_full_name() or user.email) if user else actor.label
    return _("The partners %(name)s manages.") % {"name": name}


def report_html(report: BoardReport, actor: Actor, *, progress=None) -> str:
    return render_to_string(
        "analytics/report_pdf.html", report_context(report, actor, progress=progress)
    )


def report_pdf(html: str) -> tuple[bytes, int]:
    import weasyprint

    # NOTE: the report embeds its charts; nothing may be fetched, from the network or the disk.
    fetcher = weasyprint.URLFetcher(timeout=5, allowed_protocols=("data",))
    document = weasyprint.HTML(string=html, url_fetcher=fetcher).render()
    return document.write_pdf(), len(document.pages)


def _progress(report: BoardReport, percent: int, stage: str) -> None:
    # Its own short write, outside any transaction, so the page polling it sees each stage.
    BoardReport.objects.filter(pk=report.pk).update(
        status=ReportStatus.BUILDING, progress=percent, stage=stage[:120]
    )


def build(report: BoardReport) -> BoardReport:
    """The task's body: figures, charts, PDF, stored; then mail if asked. A failure is recorded
    on the report (the page says so) and logged."""
    tenant = require_current_tenant()
    try:
        _progress(report, 10, _("Reading the figures"))
        actor = actor_for_user(report.requested_by, tenant)
        html = report_html(report, actor, progress=lambda p, s: _progress(report, p, s))
        _progress(report, 70, _("Laying out the pages"))
        data, pages = report_pdf(html)
        _progress(report, 90, _("Saving the report"))
        with transaction.atomic():
            report.file.save("report.pdf", io.BytesIO(data), save=False)
            report.sha256 = sha256_of(data)
            report.pages = pages
            report.status = ReportStatus.READY
            report.progress = 100
            report.stage = ""
            report.finished_at = timezone.now()
            report.save(
                update_fields=[
                    "file",
                    "sha256",
                    "pages",
                    "status",
                    "progress",
                    "stage",
                    "finished_at",
                ]
            )
            if report.email_me:
                from .mail import report_ready

                report_ready(report, data)
    except Exception:
        logger.exception("Building board report %s failed", report.uuid)
        BoardReport.objects.filter(pk=report.pk).update(
            status=ReportStatus.FAILED,
            stage="",
            error=_(
                "The report could not be built. Try again; if it fails again, tell your "
                "administrator."
            ),
            finished_at=timezone.now(),
        )
        report.refresh_from_db()
    return report


def size_label(report: BoardReport) -> str:
    try:
        size = report.file.size
    except (OSError, ValueError):
        return ""
    return formats.number_format(Decimal(size) / 1024, 0, force_grouping=True) + " KB"
