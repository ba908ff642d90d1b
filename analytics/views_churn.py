"""The churn-risk page: the model's quality (or the rules in use), the partners by risk with
their top reasons, filters, CSV, and "Retrain now" for program admins. Thin: access check, the
selector (`churn.scores_for`), render or CSV."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from partners.models import Region
from partners.selectors.facts import tier_names
from tenancy import access
from tenancy.access import Perm
from tenancy.common.lists import Column, list_page

from . import churn
from .models import ChurnBand, ChurnScore

REGIONS = dict(Region.choices)


class ChurnFilter(django_filters.FilterSet):
    band = django_filters.ChoiceFilter(
        choices=ChurnBand.choices, label=gettext_lazy("Risk"), empty_label=gettext_lazy("Any risk")
    )
    tier = django_filters.ChoiceFilter(
        method="by_tier", label=gettext_lazy("Tier"), empty_label=gettext_lazy("All tiers")
    )
    region = django_filters.ChoiceFilter(
        choices=Region.choices,
        label=gettext_lazy("Region"),
        empty_label=gettext_lazy("All regions"),
    )

    class Meta:
        model = ChurnScore
        fields = ["band", "tier", "region"]

    def __init__(self, *args, tiers: dict[int, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["tier"].extra["choices"] = [(str(pk), name) for pk, name in tiers.items()]

    def by_tier(self, queryset, name, value):
        return queryset.filter(tier_id=int(value)) if value else queryset


SORTS = {"score": ("score",), "partner": ("partner__name",)}


def columns(tiers: dict[int, str]) -> list[Column]:
    """The CSV: what the page's table shows, one column each."""
    return [
        Column(_("Partner"), "partner.name"),
        Column(_("Risk score"), "score"),
        Column(_("Risk"), "get_band_display"),
        Column(_("Top reasons"), lambda s: "; ".join(s.reasons_in_words)),
        Column(_("Tier"), lambda s: tiers.get(s.tier_id, "")),
        Column(_("Region"), lambda s: REGIONS.get(s.region, "")),
    ]


@login_required
def console_analytics_churn(request):
    actor = access.require_console(request, Perm.ANALYTICS_VIEW)
    tiers = tier_names()
    listing = list_page(
        request,
        churn.scores_for(actor),
        filterset_class=ChurnFilter,
        filterset_kwargs={"tiers": tiers},
        sorts=SORTS,
        default_sort="-score",
        columns=columns(tiers),
        filename="churn-risk",
        page_size=25,
    )
    if listing.export is not None:
        return listing.export
    model = churn.latest_model()
    rows = [
        {
            "score": score,
            "reasons": score.reasons_in_words,
            "tier": tiers.get(score.tier_id, ""),
            "region": REGIONS.get(score.region, ""),
        }
        for score in listing.page
    ]
    context = {
        "listing": listing,
        "rows": rows,
        "model": model,
        "weights": churn.model_weights(model),
        "rules": churn.rules_shown(),
        "thresholds": churn.thresholds(),
        "may_retrain": actor.has(Perm.ANALYTICS_MANAGE),
    }
    return render(request, "analytics/churn.html", context)


@login_required
@require_POST
def console_analytics_churn_retrain(request):
    actor = access.require_console(request, Perm.ANALYTICS_MANAGE)
    churn.churn_retrain_request(actor=actor)
    messages.success(
        request,
        _("The churn model is being retrained; the scores below change when it is done."),
    )
    return redirect("console_analytics_churn")
