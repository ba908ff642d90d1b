"""Customer value: lifetime value and acquisition cost, through partners vs direct, side by
side with the method (analytics/cltv.py holds every formula)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from partners.selectors.tiers import program_settings_or_default
from tenancy import access
from tenancy.access import Perm
from tenancy.common.charts import Chart, Series
from tenancy.common.lists import Column, csv_response

from . import cltv
from . import dashboard as composer
from .models import CustomerMonth, SalesChannel
from .settings import analytics_settings

CHANNEL_COLOR = "#0d6efd"
DIRECT_COLOR = "#6c757d"


@login_required
def console_analytics_customers(request):
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    if not cltv.may_read(actor):
        raise PermissionDenied(_("Customer value is a program-wide figure."))
    f, key, chosen = composer.parse_filters(request.GET, timezone.now().date())
    chosen = {"period": chosen.get("period", "")}
    by_channel = cltv.sums(actor, f)
    rows = [
        {
            "key": metric.key,
            "metric": metric,
            "label": metric.label,
            "definition": metric.definition,
            "channel": metric.of(by_channel[SalesChannel.CHANNEL]),
            "direct": metric.of(by_channel[SalesChannel.DIRECT]),
        }
        for metric in cltv.VALUE_METRICS.values()
    ]
    if request.GET.get("format") == "csv":
        return csv_response(
            rows,
            [
                Column(_("Figure"), "label"),
                Column(SalesChannel.CHANNEL.label, "channel"),
                Column(SalesChannel.DIRECT.label, "direct"),
                Column(_("How it is computed"), "definition"),
            ],
            f"customer-value-{key.lower()}",
        )
    currency = program_settings_or_default().currency
    values = {row["key"]: row for row in rows}
    chart = Chart(
        key="cltv-cac",
        title=_("Lifetime value and acquisition cost per customer"),
        categories=[str(SalesChannel.CHANNEL.label), str(SalesChannel.DIRECT.label)],
        series=[
            Series(
                _("Customer lifetime value"),
                [values["cltv"]["channel"], values["cltv"]["direct"]],
                CHANNEL_COLOR,
            ),
            Series(
                _("Customer acquisition cost"),
                [values["cac"]["channel"], values["cac"]["direct"]],
                DIRECT_COLOR,
            ),
        ],
        unit=currency,
    )
    state = CustomerMonth.objects.order_by("-computed_at").values("computed_at").first()
    return render(
        request,
        "analytics/customers.html",
        {
            "rows": rows,
            "chart": chart,
            "currency": currency,
            "chosen": chosen,
            "period_choices": composer.period_choices(timezone.now().date()),
            "period_label": composer.period_label(f),
            "query": urlencode({k: v for k, v in chosen.items() if v}),
            "computed_at": state["computed_at"] if state else None,
            "config": analytics_settings(),
            "may_manage": actor.has(Perm.ANALYTICS_MANAGE),
        },
    )
