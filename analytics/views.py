"""The executive dashboard, its drill-down to a partner, the definitions page and the refresh
button. Thin: access check, one composer call (`dashboard`), render or CSV."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partners.models import PartnerOrganization, PartnerType, Region
from partners.selectors.organization import partner_for_actor
from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, csv_response, page_window
from tenancy.common.reading import one_reading
from tenancy.uploads import stored_file_response

from . import cltv, services
from . import dashboard as composer
from .cltv import VALUE_METRICS
from .forms import (
    AcquisitionForm,
    BoardReportForm,
    DirectRevenueUploadForm,
    SettingsForm,
    SurveySettingsForm,
    TouchForm,
)
from .metrics import METRICS, Filters, products, reading_state, tiers
from .models import AttributionModel, BoardReport, DealTouch, DirectRevenue, ReportStatus
from .psat import SURVEY_METRICS
from .settings import analytics_settings


def _csv(table: composer.Table, filename: str):
    columns = [Column(table.first_header, "label")] + [
        Column(metric.label, metric.key) for metric in table.metrics
    ]
    return csv_response(table.rows, columns, filename)


def _context(request, actor, f: Filters, chosen: dict) -> dict:
    today = timezone.now().date()
    return {
        "chosen": chosen,
        "period_choices": composer.period_choices(today),
        "model_choices": AttributionModel.choices,
        "region_choices": Region.choices,
        "tier_choices": list(tiers().items()),
        "type_choices": PartnerType.choices,
        "product_choices": [(p, p) for p in products()],
        "period_label": composer.period_label(f),
        "model_label": AttributionModel(f.model).label,
        "query": urlencode({k: v for k, v in chosen.items() if v}),
        "previous_label": composer.period_label(f.previous()),
        "state": reading_state(),
        "refresh_minutes": settings.ANALYTICS_REFRESH_MINUTES,
        "may_refresh": actor.has(Perm.ANALYTICS_MANAGE),
        "sees_program": access.sees_every_partner(actor),
    }


@login_required
@one_reading()
def console_analytics(request):
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    f, key, chosen = composer.parse_filters(request.GET, timezone.now().date())
    table_key = request.GET.get("table")
    if request.GET.get("format") == "csv" and table_key in composer.TABLES:
        table = composer.table(actor, f, composer.TABLES[table_key])
        return _csv(table, f"{table_key}-{key.lower()}")
    context = _context(request, actor, f, chosen)
    context["board_html"] = board_html(
        context, composer.board_key(actor, f, key), lambda: composer.dashboard(actor, f, key)
    )
    return render(request, "analytics/dashboard.html", context)


def board_html(context: dict, content: Any, compose: Callable[[], composer.Dashboard]) -> str:
    """The dashboard's tiles, charts and tables (analytics/_board.html), rendered once per
    content in each process. `content` names everything the board shows
    (`composer.board_key`: its figures' cache keys, names, currency, baseline); with the
    filters' query and the language it is the key, so the same content gives the kept HTML
    without composing the board again, and any change — a refresh, a renamed partner, another
    currency — is another key. `content` None: composed and rendered, nothing kept. Kept in
    memory, a few dozen boards: a deploy starts empty, so a changed template never meets an
    old page."""

    def render_board() -> str:
        return render_to_string("analytics/_board.html", {**context, "board": compose()})

    if content is None:
        return render_board()
    key = hashlib.sha256(
        repr((get_language(), context["query"], str(context["previous_label"]), content)).encode()
    ).hexdigest()
    with _BOARDS_LOCK:
        html = _BOARDS.get(key)
        if html is not None:
            _BOARDS.move_to_end(key)
            return html
    html = render_board()
    with _BOARDS_LOCK:  # threaded servers: one change of the order at a time
        _BOARDS[key] = html
        while len(_BOARDS) > BOARDS_KEPT:
            _BOARDS.popitem(last=False)
    return html


BOARDS_KEPT = 64
_BOARDS: OrderedDict[str, str] = OrderedDict()
_BOARDS_LOCK = threading.Lock()


@login_required
@one_reading()
def console_analytics_partner(request, partner_uuid: UUID):
    """One partner's figures (a manager: only their own partners; others answer 404)."""
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    try:
        partner = partner_for_actor(actor, partner_uuid)
    except PartnerOrganization.DoesNotExist:
        raise Http404 from None
    f, key, chosen = composer.parse_filters(request.GET, timezone.now().date())
    f = replace(f, partner_id=partner.pk, region="", tier_id=None, partner_type="")
    board = composer.partner_board(actor, f, key)
    context = {**_context(request, actor, f, chosen), "board": board, "partner": partner}
    return render(request, "analytics/partner.html", context)


@login_required
def console_analytics_definitions(request):
    access.require_console(request, Perm.ANALYTICS_VIEW)
    return render(
        request,
        "analytics/definitions.html",
        {
            "metrics": METRICS.values(),
            "models": AttributionModel.choices,
            "survey_metrics": SURVEY_METRICS.values(),
            "value_metrics": VALUE_METRICS.values(),
        },
    )


@login_required
@require_POST
def console_analytics_refresh(request):
    actor = access.require_console(request, Perm.ANALYTICS_MANAGE)
    services.refresh_request(actor=actor, full=request.POST.get("full") == "1")
    messages.success(
        request, _("The figures are being refreshed; this page shows the time of the last refresh.")
    )
    return redirect("console_analytics")


# --- Board reports -----------------------------------------------------------------------------


def _my_report(request, report_uuid: UUID):
    """The requester's own report (it shows their view of the figures); anyone else: 404."""
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    report = BoardReport.objects.filter(uuid=report_uuid, requested_by=actor.user).first()
    if report is None:
        raise Http404
    return actor, report


@login_required
@one_reading()
def console_analytics_reports(request):
    """Ask for a board report of the dashboard as filtered, and the list of one's reports."""
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    source = request.POST if request.method == "POST" else request.GET
    f, key, chosen = composer.parse_filters(source, timezone.now().date())
    form = BoardReportForm(
        request.POST or None,
        initial={"title": _("Partner program board report")},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_request(actor=actor, filters=chosen, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("Your report is being prepared; it appears below when it is ready.")
            )
            return redirect("console_analytics_reports")
    window = page_window(request, BoardReport.objects.filter(requested_by=actor.user))
    context = {
        **_context(request, actor, f, chosen),
        "form": form,
        "page": window,
    }
    return render(request, "analytics/reports.html", context, status=400 if form.errors else 200)


@login_required
def console_analytics_report_status(request, report_uuid: UUID):
    """The report's row (htmx polls it while the report is being prepared)."""
    _actor, report = _my_report(request, report_uuid)
    return render(request, "analytics/_report_row.html", {"report": report})


@login_required
def console_analytics_report_download(request, report_uuid: UUID):
    _actor, report = _my_report(request, report_uuid)
    if report.status != ReportStatus.READY:
        raise Http404
    return stored_file_response(
        report.file,
        filename=f"{slugify(report.title) or 'board-report'}-{slugify(report.period_label)}.pdf",
        content_type="application/pdf",
        sha256=report.sha256,
    )


# --- Measurement settings and recorded touches (program admins) --------------------------------


def _touch_choices(actor):
    from dealreg.models import DealStatus
    from dealreg.selectors.queue import visible_deals
    from partners.selectors.organization import partner_organizations_for

    deals = (
        visible_deals(actor)
        .filter(status=DealStatus.WON)
        .select_related("partner")
        .order_by("-closed_at", "-id")[:MAX_DEAL_CHOICES]
    )
    # A sliced queryset cannot be filtered again (the form's validation does): keep the ids.
    ids = list(deals.values_list("pk", flat=True))
    return {
        "deals": visible_deals(actor)
        .filter(pk__in=ids)
        .select_related("partner")
        .order_by("-closed_at", "-id"),
        "partners": partner_organizations_for(actor).order_by("name"),
    }


MAX_DEAL_CHOICES = 500
MAX_UPLOAD = 10 * 1024 * 1024  # bytes of direct revenue CSV


@login_required
def console_analytics_settings(request):
    actor = access.require_console(request, Perm.ANALYTICS_MANAGE)
    current = analytics_settings()
    action = request.POST.get("action") if request.method == "POST" else None
    settings_form = SettingsForm(
        request.POST if action == "settings" else None,
        weights=current.weights(),
        initial={
            "cost_rule": current.cost_rule,
            "manager_monthly_cost": current.manager_monthly_cost,
            "program_monthly_cost": current.program_monthly_cost,
        },
    )
    touch_form = TouchForm(request.POST if action == "touch" else None, **_touch_choices(actor))
    survey_form = SurveySettingsForm(
        request.POST if action == "survey" else None,
        initial={
            "psat_every_months": current.psat_every_months,
            "psat_open_days": current.psat_open_days,
            "psat_reminder_days": current.psat_reminder_days,
            "psat_anonymous": current.psat_anonymous,
            "psat_questions": "\n".join(current.questions()),
        },
    )
    acquisition_form = AcquisitionForm(
        request.POST if action == "acquisition" else None,
        initial={name: getattr(current, name) for name in AcquisitionForm.base_fields},
    )
    direct_form = DirectRevenueUploadForm(
        request.POST if action == "direct" else None,
        request.FILES if action == "direct" else None,
    )
    if action in ("survey", "acquisition"):
        form = survey_form if action == "survey" else acquisition_form
        if form.is_valid():
            services.settings_update(actor=actor, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return redirect("console_analytics_settings")
    if action == "direct" and direct_form.is_valid():
        upload = direct_form.cleaned_data["file"]
        try:
            rows = cltv.parse_direct_revenue(upload.read(MAX_UPLOAD + 1)[:MAX_UPLOAD])
            added, skipped = cltv.direct_revenue_load(actor=actor, rows=rows)
        except ValidationError as error:
            for message in error.messages:
                direct_form.add_error("file", message)
        else:
            messages.success(
                request,
                _("Loaded %(added)s rows of direct revenue (%(skipped)s already there).")
                % {"added": added, "skipped": skipped},
            )
            return redirect("console_analytics_settings")
    if action == "settings" and settings_form.is_valid():
        services.settings_update(actor=actor, **settings_form.values())
        messages.success(request, _("Saved. Every figure is recomputed at the next refresh."))
        return redirect("console_analytics_settings")
    if action == "touch" and touch_form.is_valid():
        data = touch_form.cleaned_data
        try:
            services.touch_record(
                actor=actor,
                registration=data["registration"],
                partner=data["partner"],
                kind=data["kind"],
                touched_on=data["touched_on"],
                note=data["note"],
            )
        except ValidationError as error:
            touch_form.add_error(None, error)
        else:
            messages.success(
                request, _("Recorded. The partners' figures change at the next refresh.")
            )
            return redirect("console_analytics_settings")
    if action == "remove":
        raw = request.POST.get("touch")
        touch = (
            DealTouch.objects.filter(uuid=raw, removed_at=None).first() if _is_uuid(raw) else None
        )
        if touch is None:
            raise Http404
        services.touch_delete(actor=actor, touch=touch)
        messages.success(request, _("Removed. Its credit moves at the next refresh."))
        return redirect("console_analytics_settings")
    touches = page_window(
        request,
        DealTouch.objects.filter(removed_at=None)
        .select_related("registration", "registration__partner", "partner")
        .order_by("-touched_on", "-id"),
    )
    forms = (settings_form, touch_form, survey_form, acquisition_form, direct_form)
    invalid = any(form.errors for form in forms)
    return render(
        request,
        "analytics/settings.html",
        {
            "settings_form": settings_form,
            "touch_form": touch_form,
            "survey_form": survey_form,
            "acquisition_form": acquisition_form,
            "direct_form": direct_form,
            "direct_rows": DirectRevenue.objects.count(),
            "page": touches,
        },
        status=400 if invalid else 200,
    )


def _is_uuid(value) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return True
