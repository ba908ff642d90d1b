"""Partner satisfaction pages: the console's results (a survey's figures, its trend, breakdowns
by tier and region, the comments; starting and closing a survey) and the portal's survey form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import Region
from partners.selectors.facts import tier_names
from tenancy import access
from tenancy.access import Perm
from tenancy.common.charts import Chart, Series
from tenancy.common.lists import Column, csv_response, page_window

from . import dashboard as composer
from . import psat
from .forms import SurveyAnswerForm
from .metrics import Metric
from .models import PsatSurvey, SurveyStatus

TREND_SURVEYS = 6
SCORE_COLOR = "#0d6efd"
NPS_COLOR = "#198754"
RATE_COLOR = "#6c757d"


@dataclass
class Tile:
    metric: Metric
    value: Decimal | int | None
    change: Decimal | int | None


def _filters(request, tiers: dict) -> tuple[psat.PsatFilters, dict]:
    raw_tier = request.GET.get("tier", "")
    tier_id = None
    if raw_tier == "none":
        tier_id = 0
    elif raw_tier.isdigit() and int(raw_tier) in tiers:
        tier_id = int(raw_tier)
    else:
        raw_tier = ""
    region = request.GET.get("region", "")
    if region not in Region.values:
        region = ""
    return psat.PsatFilters(tier_id=tier_id, region=region), {"tier": raw_tier, "region": region}


def _row(label, sums: dict, hidden: bool = False) -> dict:
    row = {"label": label, "hidden": hidden}
    for key, metric in psat.SURVEY_METRICS.items():
        row[key] = None if hidden else metric.of(sums)
    row["cells"] = [(metric, row[key]) for key, metric in psat.SURVEY_METRICS.items()]
    return row


def _breakdown(actor, survey, f, by: str, labels: dict) -> list[dict]:
    missing = _("No tier") if by == "tier" else _("No region")
    rows = [
        _row(labels.get(key, missing), values, hidden)
        for key, values, hidden in psat.breakdown(actor, survey, f, by)
    ]
    rows.sort(key=lambda r: str(r["label"]))
    return rows


def _change(now, before):
    if now is None or before is None:
        return None
    return now - before


TABLE_COLUMNS = [
    ("psat_score", gettext_lazy("PSAT score")),
    ("nps", gettext_lazy("Net promoter score")),
    ("response_rate", gettext_lazy("Response rate %")),
    ("responses", gettext_lazy("Answers")),
]


@login_required
def console_analytics_psat(request):
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    may_manage = actor.has(Perm.ANALYTICS_MANAGE)
    if request.method == "POST":
        return _manage(request, actor)
    surveys = list(psat.surveys_for(actor)[:50])
    chosen_uuid = request.GET.get("survey", "")
    survey = next((s for s in surveys if str(s.uuid) == chosen_uuid), None) or (
        surveys[0] if surveys else None
    )
    tiers = tier_names()
    f, chosen = _filters(request, tiers)
    context = {
        "surveys": surveys,
        "survey": survey,
        "chosen": chosen,
        "tier_choices": list(tiers.items()),
        "region_choices": Region.choices,
        "may_manage": may_manage,
        "open_survey": next((s for s in surveys if s.status == SurveyStatus.OPEN), None),
        "metrics": psat.SURVEY_METRICS.values(),
        "min_group": psat.MIN_ANONYMOUS_GROUP,
    }
    if survey is None:
        return render(request, "analytics/psat.html", context)
    query = {"survey": survey.uuid, **{k: v for k, v in chosen.items() if v}}
    index = surveys.index(survey)
    previous = surveys[index + 1] if index + 1 < len(surveys) else None
    now_sums = psat.sums(actor, [survey], f)[None]
    before_sums = psat.sums(actor, [previous], f)[None] if previous else {}
    tiles = []
    for metric in psat.SURVEY_METRICS.values():
        value = metric.of(now_sums)
        tiles.append(
            Tile(metric, value, _change(value, metric.of(before_sums)) if previous else None)
        )
    # The trend: this survey and the ones before it, oldest first.
    trend_surveys = list(reversed(surveys[index : index + TREND_SURVEYS]))
    by_survey = psat.sums(actor, trend_surveys, f, by="survey")
    trend = [_row(s.title, by_survey.get(s.pk, {})) for s in trend_surveys]
    # Charts name a survey by the month it opened (titles are too long for an axis).
    when = [composer.month_label(timezone.localdate(s.opened_at)) for s in trend_surveys]
    tier_rows = _breakdown(actor, survey, f, "tier", tiers)
    region_rows = _breakdown(actor, survey, f, "region", dict(Region.choices))
    questions = psat.question_averages(actor, survey, f)
    hide_comments = (
        survey.anonymous
        and (f.tier_id is not None or f.region)
        and (0 < now_sums.get("responses", 0) < psat.MIN_ANONYMOUS_GROUP)
    )
    comment_qs = psat.comments(actor, survey, f)
    table = request.GET.get("table")
    if request.GET.get("format") == "csv" and table:
        return _csv(
            table, survey, trend, tier_rows, region_rows, questions, comment_qs, hide_comments
        )
    context.update(
        {
            "query": urlencode(query),
            "previous": previous,
            "tiles": tiles,
            "program_wide": psat.program_wide(actor, survey),
            "charts": [
                Chart(
                    key="psat-trend",
                    title=_("PSAT score by survey (1 to 5)"),
                    categories=when,
                    series=[
                        Series(_("PSAT score"), [row["psat_score"] for row in trend], SCORE_COLOR)
                    ],
                    kind="line",
                    places=1,
                ),
                Chart(
                    key="nps-trend",
                    title=_("Net promoter score and response rate by survey"),
                    categories=when,
                    series=[
                        Series(_("Net promoter score"), [row["nps"] for row in trend], NPS_COLOR),
                        Series(
                            _("Response rate %"),
                            [row["response_rate"] for row in trend],
                            RATE_COLOR,
                        ),
                    ],
                    kind="line",
                    places=1,
                ),
            ],
            "trend": trend,
            "tier_rows": tier_rows,
            "region_rows": region_rows,
            "questions": questions,
            "hide_comments": hide_comments,
            "comments": None if hide_comments else page_window(request, comment_qs, 20),
            "columns": TABLE_COLUMNS,
        }
    )
    return render(request, "analytics/psat.html", context)


def _csv(table, survey, trend, tier_rows, region_rows, questions, comment_qs, hide_comments):
    measures = [Column(label, key) for key, label in TABLE_COLUMNS]
    name = f"psat-{survey.opened_at:%Y-%m}-{table}"
    if table == "trend":
        return csv_response(trend, [Column(_("Survey"), "label"), *measures], name)
    if table in ("tier", "region"):
        rows = tier_rows if table == "tier" else region_rows
        first = _("Tier") if table == "tier" else _("Region")
        return csv_response(rows, [Column(first, "label"), *measures], name)
    if table == "questions":
        rows = [{"question": q, "average": avg} for q, avg in questions]
        return csv_response(
            rows, [Column(_("Question"), "question"), Column(_("Average score"), "average")], name
        )
    if table == "comments":
        rows = [] if hide_comments else comment_qs
        return csv_response(
            rows,
            [
                Column(_("Submitted"), lambda r: r.submitted_at.date()),
                Column(_("Recommend (0–10)"), "recommend"),
                Column(_("Comment"), "comment"),
            ],
            name,
        )
    raise Http404


def _manage(request, actor):
    access.require(actor, Perm.ANALYTICS_MANAGE)
    action = request.POST.get("action")
    try:
        if action == "open":
            survey = psat.survey_open(actor=actor, title=request.POST.get("title", "")[:120])
            messages.success(
                request,
                _("The survey is open: %(count)s partner users were asked.")
                % {"count": survey.invitations.count()},
            )
        elif action == "close":
            survey = _survey(request.POST.get("survey"))
            psat.survey_close(actor=actor, survey=survey)
            messages.success(request, _("The survey is closed; its answers are final."))
        else:
            raise Http404
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("console_analytics_psat")


def _survey(raw) -> PsatSurvey:
    try:
        UUID(str(raw))
    except ValueError:
        raise Http404 from None
    survey = PsatSurvey.objects.filter(uuid=raw).first()
    if survey is None:
        raise Http404
    return survey


# --- The portal: answering -------------------------------------------------------------------


@login_required
def portal_survey(request):
    actor = access.require_portal(request)
    waiting = psat.open_survey_for(actor.user)
    if waiting is None:
        return render(request, "analytics/portal_survey.html", {"survey": None})
    survey, _invitation = waiting
    form = SurveyAnswerForm(request.POST or None, questions=survey.questions)
    if request.method == "POST" and form.is_valid():
        try:
            psat.survey_answer(
                actor=actor,
                survey=survey,
                scores=form.scores(),
                recommend=form.cleaned_data["recommend"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you! Your answers help us improve the program."))
            return redirect("portal_home")
    return render(
        request,
        "analytics/portal_survey.html",
        {"survey": survey, "form": form},
        status=400 if form.errors else 200,
    )


def survey_panel(request, actor) -> str:
    """The portal home's invitation to answer the open survey (nothing when none waits)."""
    from django.template.loader import render_to_string

    if not actor.is_partner:
        return ""
    waiting = psat.open_survey_for(actor.user)
    if waiting is None:
        return ""
    return render_to_string("analytics/home_survey.html", {"survey": waiting[0]}, request=request)
