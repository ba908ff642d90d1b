"""API: the KPI figures, their breakdowns, partner satisfaction, customer value and the
partner's scorecard — computed by the same selectors and metric formulas as the pages, CSV and
board report (analytics/metrics.py, psat.py, cltv.py), so they never disagree. Read-only.

Filters are the dashboard's query string: `period` (2026-Q4, 2026-H2, 2026, L12), `model`
(first_touch, last_touch, linear, weighted), `region`, `tier` (a tier id or "none"),
`partner_type`, `product`."""

from __future__ import annotations

from uuid import UUID

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from partners.selectors.tiers import program_settings_or_default
from tenancy.access import Perm
from tenancy.api.views import TenantViewSet

from . import churn, cltv, psat
from . import dashboard as composer
from .metrics import METRICS
from .models import ChurnBand, ChurnScore, PartnerMonth, PsatSurvey
from .rollups import rollup_state

FILTERS = [
    OpenApiParameter("period", str, description="2026-Q4, 2026-H2, 2026 or L12 (default: now)"),
    OpenApiParameter("model", str, enum=["first_touch", "last_touch", "linear", "weighted"]),
    OpenApiParameter("region", str, description="NA, LATAM, EMEA or APAC"),
    OpenApiParameter("tier", str, description='A tier id, or "none"'),
    OpenApiParameter("partner_type", str),
    OpenApiParameter("product", str),
]  # fmt: skip


class SingleObjectSchema(AutoSchema):
    """These `list` routes answer one object, not a page of rows."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


class FigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The metric (see the Definitions page).")
    label = serializers.CharField()
    unit = serializers.CharField(help_text="money, ratio, percent, count, hours, score, nps")
    value = serializers.CharField(
        allow_null=True, help_text="A number as text, rounded as the page shows it."
    )
    previous = serializers.CharField(allow_null=True, required=False)
    change_percent = serializers.CharField(allow_null=True, required=False)
    definition = serializers.CharField()


class KpisSerializer(serializers.Serializer):
    period = serializers.CharField()
    period_label = serializers.CharField()
    previous_label = serializers.CharField()
    model = serializers.CharField()
    currency = serializers.CharField()
    refreshed_at = serializers.DateTimeField(allow_null=True)
    figures = FigureSerializer(many=True)


class BreakdownRowSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()
    partner = serializers.UUIDField(allow_null=True, required=False)
    figures = serializers.DictField(child=serializers.CharField(allow_null=True))


class BreakdownSerializer(serializers.Serializer):
    by = serializers.CharField()
    period = serializers.CharField()
    model = serializers.CharField()
    currency = serializers.CharField()
    rows = BreakdownRowSerializer(many=True)


def _figure(metric, value, previous=None, change=None) -> dict:
    return {
        "key": metric.key,
        "label": str(metric.label),
        "unit": metric.unit,
        "value": _text(value),
        "previous": _text(previous),
        "change_percent": _text(change),
        "definition": str(metric.definition),
    }


def _text(value) -> str | None:
    return None if value is None else str(value)


class _Base(TenantViewSet):
    schema = SingleObjectSchema()
    pagination_class = None
    filter_backends: list = []

    def get_queryset(self):
        return PartnerMonth.objects.none()  # not a model listing

    def filters(self):
        return composer.parse_filters(self.request.query_params, timezone.now().date())


class KpiViewSet(_Base):
    """GET: the KPI tiles of the dashboard for the filters, with the previous period and the
    change (vendor staff with the KPI dashboards; a channel manager's cover their partners)."""

    required_perms = (Perm.CONSOLE_VIEW, Perm.ANALYTICS_VIEW)
    serializer_class = KpisSerializer

    @extend_schema(operation_id="analytics_kpis", parameters=FILTERS, responses=KpisSerializer)
    def list(self, request):
        f, key, _chosen = self.filters()
        state = rollup_state()
        data = {
            "period": key,
            "period_label": composer.period_label(f),
            "previous_label": composer.period_label(f.previous()),
            "model": f.model,
            "currency": program_settings_or_default().currency,
            "refreshed_at": state.refreshed_at,
            "figures": [
                _figure(t.metric, t.value, t.previous, t.change)
                for t in composer.tiles_for(self.actor, f, tuple(METRICS))
            ],
        }
        return Response(KpisSerializer(data).data)


class BreakdownViewSet(_Base):
    """GET ?by=partners|tiers|regions|partner-types|products: the dashboard's breakdown table
    (every partner, not only the top ones) — what its CSV exports."""

    required_perms = (Perm.CONSOLE_VIEW, Perm.ANALYTICS_VIEW)
    serializer_class = BreakdownSerializer

    @extend_schema(
        operation_id="analytics_breakdown",
        parameters=[
            OpenApiParameter(
                "by", str, required=True, enum=list(composer.TABLES), description="The breakdown"
            ),
            *FILTERS,
        ],
        responses=BreakdownSerializer,
    )
    def list(self, request):
        by = request.query_params.get("by", "")
        if by not in composer.TABLES:
            raise ValidationError({"by": [_("Choose one of: %s.") % ", ".join(composer.TABLES)]})
        f, key, _chosen = self.filters()
        table = composer.table(self.actor, f, composer.TABLES[by])
        rows = [
            {
                "key": _text(row.get("key")),
                "label": str(row["label"]),
                "partner": row.get("uuid"),
                "figures": {metric.key: _text(value) for metric, value in row["cells"]},
            }
            for row in table.rows
        ]
        data = {
            "by": by,
            "period": key,
            "model": f.model,
            "currency": program_settings_or_default().currency,
            "rows": rows,
        }
        return Response(BreakdownSerializer(data).data)


class ScorecardSerializer(serializers.Serializer):
    partner = serializers.UUIDField()
    period_label = serializers.CharField()
    previous_label = serializers.CharField()
    currency = serializers.CharField()
    figures = FigureSerializer(many=True)
    tier_medians = serializers.DictField(
        child=serializers.CharField(),
        help_text="Your tier's median of each figure (only with enough partners in the tier).",
    )


class ScorecardViewSet(_Base):
    """GET: the caller's organisation's scorecard (partner users and partner keys) — its own
    figures with the change on the previous quarter, and its tier's medians only."""

    required_perms = (Perm.PORTAL_VIEW,)
    serializer_class = ScorecardSerializer

    @extend_schema(operation_id="analytics_scorecard", responses=ScorecardSerializer)
    def list(self, request):
        from .home import scorecard

        actor = self.actor
        if not actor.is_partner:
            self.permission_denied(request, message=_("Your role does not allow this."))
        card = scorecard(actor)
        if card is None:
            raise NotFound
        data = {
            "partner": card["partner"].uuid,
            "period_label": card["period_label"],
            "previous_label": card["previous_label"],
            "currency": card["currency"],
            "figures": [_figure(t.metric, t.value, change=t.change) for t in card["tiles"]],
            "tier_medians": {
                t.metric.key: str(t.median) for t in card["tiles"] if t.median is not None
            },
        }
        return Response(ScorecardSerializer(data).data)


class SurveyFiguresSerializer(serializers.Serializer):
    survey = serializers.UUIDField()
    title = serializers.CharField()
    status = serializers.CharField()
    anonymous = serializers.BooleanField()
    opened_at = serializers.DateTimeField()
    closes_on = serializers.DateField()
    program_wide = serializers.BooleanField(
        help_text="False: the answers of the caller's own partners only."
    )
    figures = FigureSerializer(many=True)
    questions = serializers.ListField(child=serializers.DictField())
    by_tier = serializers.ListField(child=serializers.DictField())
    by_region = serializers.ListField(child=serializers.DictField())


class PsatViewSet(_Base):
    """GET ?survey=<uuid> (default: the latest): a partner satisfaction survey's figures, by
    question, tier and region (an anonymous survey's groups under 3 answers are left out)."""

    required_perms = (Perm.CONSOLE_VIEW, Perm.ANALYTICS_VIEW)
    serializer_class = SurveyFiguresSerializer

    @extend_schema(
        operation_id="analytics_psat",
        parameters=[OpenApiParameter("survey", OpenApiTypes.UUID)],
        responses=SurveyFiguresSerializer,
    )
    def list(self, request):
        actor = self.actor
        surveys = psat.surveys_for(actor)
        raw = request.query_params.get("survey")
        survey: PsatSurvey | None
        if raw:
            try:
                survey = surveys.filter(uuid=UUID(raw)).first()
            except ValueError:  # not a survey's id
                survey = None
        else:
            survey = surveys.first()
        if survey is None:
            raise NotFound
        totals = psat.sums(actor, [survey])[None]

        def groups(by):
            return [
                {
                    "key": _text(key),
                    **{k: _text(m.of(values)) for k, m in psat.SURVEY_METRICS.items()},
                }
                for key, values, hidden in psat.breakdown(actor, survey, psat.PsatFilters(), by)
                if not hidden
            ]

        data = {
            "survey": survey.uuid,
            "title": survey.title,
            "status": survey.status,
            "anonymous": survey.anonymous,
            "opened_at": survey.opened_at,
            "closes_on": survey.closes_on,
            "program_wide": psat.program_wide(actor, survey),
            "figures": [_figure(m, m.of(totals)) for m in psat.SURVEY_METRICS.values()],
            "questions": [
                {"question": q, "average": _text(avg)}
                for q, avg in psat.question_averages(actor, survey)
            ],
            "by_tier": groups("tier"),
            "by_region": groups("region"),
        }
        return Response(SurveyFiguresSerializer(data).data)


class ChannelValueSerializer(serializers.Serializer):
    channel = serializers.CharField()
    figures = FigureSerializer(many=True)


class CustomerValueSerializer(serializers.Serializer):
    period = serializers.CharField()
    currency = serializers.CharField()
    channels = ChannelValueSerializer(many=True)


class CustomerValueViewSet(_Base):
    """GET ?period=: customer lifetime value and acquisition cost, through partners and direct
    (program-wide: program admins, executives, marketing)."""

    required_perms = (Perm.CONSOLE_VIEW, Perm.ANALYTICS_VIEW)
    serializer_class = CustomerValueSerializer

    @extend_schema(
        operation_id="analytics_customer_value",
        parameters=FILTERS[:1],
        responses=CustomerValueSerializer,
    )
    def list(self, request):
        if not cltv.may_read(self.actor):
            self.permission_denied(request, message=_("Customer value is a program-wide figure."))
        f, key, _chosen = self.filters()
        by_channel = cltv.sums(self.actor, f)
        data = {
            "period": key,
            "currency": program_settings_or_default().currency,
            "channels": [
                {
                    "channel": channel,
                    "figures": [_figure(m, m.of(s)) for m in cltv.VALUE_METRICS.values()],
                }
                for channel, s in by_channel.items()
            ],
        }
        return Response(CustomerValueSerializer(data).data)


class ChurnScoreSerializer(serializers.Serializer):
    partner = serializers.UUIDField(source="partner.uuid")
    partner_name = serializers.CharField(source="partner.name")
    score = serializers.IntegerField(help_text="0 (safe) to 100 (most at risk)")
    band = serializers.ChoiceField(choices=["high", "medium", "low"])
    band_label = serializers.CharField(source="get_band_display")
    reasons = serializers.ListField(
        source="reasons_in_words", child=serializers.CharField(), help_text="Strongest first."
    )
    method = serializers.SerializerMethodField(help_text="model or rules")
    scored_at = serializers.DateTimeField()

    def get_method(self, obj) -> str:
        return "rules" if obj.model.is_rules else "model"


class ChurnViewSet(mixins.ListModelMixin, TenantViewSet):
    """GET (?band=high|medium|low): each partner's churn risk with its reasons, riskiest first
    — the churn page's list (vendor staff with the KPI dashboards; a channel manager's
    partners only)."""

    required_perms = (Perm.CONSOLE_VIEW, Perm.ANALYTICS_VIEW)
    serializer_class = ChurnScoreSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ChurnScore.objects.unscoped().none()
        qs = churn.scores_for(self.actor).select_related("model")
        band = self.request.query_params.get("band")
        if band:
            if band not in ChurnBand.values:
                raise ValidationError({"band": [_("Choose high, medium or low.")]})
            qs = qs.filter(band=band)
        return qs

    @extend_schema(
        operation_id="analytics_churn_list",
        parameters=[OpenApiParameter("band", str, enum=list(ChurnBand.values))],
    )
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


def register(router) -> None:
    router.register("analytics-churn", ChurnViewSet, basename="analytics-churn")
    router.register("analytics-kpis", KpiViewSet, basename="analytics-kpis")
    router.register("analytics-breakdown", BreakdownViewSet, basename="analytics-breakdown")
    router.register("analytics-scorecard", ScorecardViewSet, basename="analytics-scorecard")
    router.register("analytics-psat", PsatViewSet, basename="analytics-psat")
    router.register(
        "analytics-customer-value", CustomerValueViewSet, basename="analytics-customer-value"
    )
